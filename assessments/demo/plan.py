"""What ``load_demo`` loads, in order: the workbooks and the periods made from them.

Shared by the generator (which writes the workbooks named here) and the loader (which
imports them). Period codes are those of the portal's URLs and commands.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from .units import DEPARTMENTS, DISTRICTS, PROVINCES

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
UNITS_FILE = "units.xlsx"
#: framework code -> workbook
FRAMEWORK_FILES = {
    "QNAM": "framework-qnam.xlsx",
    "MIC-2016": "framework-mic-2016.xlsx",
    "MIC-2017": "framework-mic-2017.xlsx",
}
DEMO_PASSWORD = "demo-ict-2026"


@dataclass(frozen=True)
class DemoPeriod:
    code: str
    name: str
    framework: str
    cohorts: tuple[str, ...]
    opens_on: datetime.date | None
    deadline: datetime.date | None
    previous: str = ""
    returns: str = ""   # the returns workbook; empty for the period left open
    published_on: datetime.date | None = None   # the day the real report came out

    @property
    def year(self) -> int:
        return int(self.code.rsplit("-", 1)[1])


QUANG_NAM_COHORTS = (DEPARTMENTS.code, DISTRICTS.code)

#: Published, in this order (each compared with the one before it).
PUBLISHED = (
    DemoPeriod("QNAM-2014", "Chỉ số ứng dụng CNTT tỉnh Quảng Nam năm 2014", "QNAM",
               QUANG_NAM_COHORTS, datetime.date(2014, 11, 3), datetime.date(2014, 12, 5),
               returns="returns-qnam-2014.xlsx", published_on=datetime.date(2014, 12, 30)),
    DemoPeriod("QNAM-2015", "Chỉ số ứng dụng CNTT tỉnh Quảng Nam năm 2015", "QNAM",
               QUANG_NAM_COHORTS, datetime.date(2015, 11, 2), datetime.date(2015, 12, 4),
               previous="QNAM-2014", returns="returns-qnam-2015.xlsx",
               published_on=datetime.date(2015, 12, 30)),  # the Sở TT&TT report's date
    DemoPeriod("MIC-2016", "Xếp hạng ứng dụng CNTT, phát triển Chính phủ điện tử các tỉnh, "
               "thành phố năm 2016", "MIC-2016", (PROVINCES.code,), datetime.date(2017, 1, 9),
               datetime.date(2017, 3, 31), returns="returns-mic-2016.xlsx",
               published_on=datetime.date(2017, 7, 4)),
    DemoPeriod("MIC-2017", "Xếp hạng ứng dụng CNTT, phát triển Chính phủ điện tử các tỉnh, "
               "thành phố năm 2017", "MIC-2017", (PROVINCES.code,), datetime.date(2018, 1, 8),
               datetime.date(2018, 3, 30), previous="MIC-2016", returns="returns-mic-2017.xlsx",
               published_on=datetime.date(2018, 7, 3)),  # "đầu tháng 7" 2018
)

#: Left open for the units to fill in: no returns; dates set around the day of loading.
OPEN = DemoPeriod("QNAM-2016", "Chỉ số ứng dụng CNTT tỉnh Quảng Nam năm 2016", "QNAM",
                  QUANG_NAM_COHORTS, None, None, previous="QNAM-2015")
OPEN_DAYS_BEFORE, OPEN_DAYS_AFTER = 14, 60
