"""Generate the demo workbooks into ``fixtures/demo/`` (``python -m assessments.demo.build``).

Deterministic: the same code writes the same cells. Before anything is written, the real
scoring engine checks that the data shows what the two articles report (``qnam.check_2015``,
``mic.check``); a miss raises :class:`~assessments.demo.checks.DemoTargetError`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from . import mic, qnam
from .plan import FIXTURES, FRAMEWORK_FILES, PUBLISHED, UNITS_FILE
from .units import COHORTS, UNITS
from .workbooks import make_reproducible, write_returns, write_units

QNAM_DESCRIPTION = (
    "Theo Báo cáo đánh giá chỉ số ứng dụng CNTT trong hoạt động của các cơ quan nhà nước "
    "tỉnh Quảng Nam năm 2015 (Sở Thông tin và Truyền thông, 30/12/2015): 4 tiêu chí, 100 "
    "điểm; hai khối Sở, Ban, Ngành và huyện, thị xã, thành phố. Dữ liệu minh hoạ.")
MIC_DESCRIPTION = (
    "Sáu hạng mục đánh giá, xếp hạng mức độ ứng dụng CNTT, phát triển Chính phủ điện tử của "
    "các tỉnh, thành phố trực thuộc Trung ương (Bộ Thông tin và Truyền thông); chỉ số 0–1. "
    "Dữ liệu minh hoạ.")


def build(directory: Path = FIXTURES) -> list[Path]:
    """Generate, check, then write every demo workbook into ``directory``."""
    from assessments.workbooks.framework import write_framework

    qnam_spec, qnam_returns = qnam.build()
    mic_specs, mic_returns, _seed = mic.build()
    directory.mkdir(parents=True, exist_ok=True)
    written = []

    def path(name: str) -> Path:
        written.append(directory / name)
        return written[-1]

    write_units(path(UNITS_FILE), COHORTS, UNITS)
    write_framework(qnam_spec, path(FRAMEWORK_FILES[qnam_spec.code]),
                    description=QNAM_DESCRIPTION, band_colors=qnam.BAND_COLORS)
    for spec in mic_specs.values():
        write_framework(spec, path(FRAMEWORK_FILES[spec.code]), description=MIC_DESCRIPTION)
    for period in PUBLISHED:
        if period.framework == qnam_spec.code:
            spec, units, returns = qnam_spec, qnam.UNITS, qnam_returns[period.year]
        else:
            spec, units, returns = mic_specs[period.year], mic.UNITS, mic_returns[period.year]
        write_returns(path(period.returns), spec, units, returns)
    for written_path in written:
        make_reproducible(written_path)
    return written


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ict_index.settings")
    import django

    django.setup()
    for written in build(Path(sys.argv[1]) if len(sys.argv) > 1 else FIXTURES):
        print(written)


if __name__ == "__main__":
    main()
