"""Test data for the ranking services, commands and pages, built directly with the ORM.

The standard framework (``standard_framework``), 100 points:

- ``HT`` Hạ tầng kỹ thuật CNTT (40): ``lan`` yes/no 20 points, ``may_tinh`` ratio of
  computers per staff to a target of 100 % (20 points);
- ``UD`` Ứng dụng CNTT (60), nested: ``UD_DVC`` Dịch vụ công trực tuyến (``dvc`` bands
  0=0;50=15;100=30) and ``UD_VB`` Quản lý văn bản (``vb`` choice a=30;b=15;c=0);
- bands Tốt ≥ 80 (its own colour), Khá ≥ 65, Trung bình ≥ 50, Yếu ≥ 0 (palette colours).
"""

from __future__ import annotations

import pytest

from assessments.models import (
    Answer,
    Band,
    Cohort,
    CriterionGroup,
    Framework,
    Indicator,
    Period,
    Submission,
    Unit,
)

APPROVED = Submission.Status.APPROVED


class Builder:
    """Small factories over the ORM (until the import services land)."""

    def cohort(self, code: str, name: str, order: int = 0) -> Cohort:
        return Cohort.objects.create(code=code, name=name, order=order)

    def unit(self, code: str, name: str, cohort: Cohort, active: bool = True) -> Unit:
        return Unit.objects.create(code=code, name=name, cohort=cohort, active=active)

    def standard_framework(self, code: str = "F-2017", decimals: int = 2,
                           name: str = "Bộ tiêu chí 2017") -> Framework:
        fw = Framework.objects.create(code=code, name=name, decimals=decimals)
        ht = CriterionGroup.objects.create(framework=fw, code="HT", order=1,
                                           name="Hạ tầng kỹ thuật CNTT")
        ud = CriterionGroup.objects.create(framework=fw, code="UD", order=2,
                                           name="Ứng dụng CNTT trong hoạt động của cơ quan")
        dvc = CriterionGroup.objects.create(framework=fw, code="UD_DVC", parent=ud, order=1,
                                            name="Dịch vụ công trực tuyến")
        vb = CriterionGroup.objects.create(framework=fw, code="UD_VB", parent=ud, order=2,
                                           name="Quản lý văn bản")
        Indicator.objects.create(framework=fw, group=ht, code="lan", name="Mạng LAN",
                                 value_type="boolean", rule="boolean", max_points=20, order=1)
        Indicator.objects.create(framework=fw, group=ht, code="may_tinh", order=2,
                                 name="Tỷ lệ máy tính / cán bộ", value_type="percent",
                                 rule="ratio", params="target=100", max_points=20)
        Indicator.objects.create(framework=fw, group=dvc, code="dvc", name="Tỷ lệ DVC mức 3-4",
                                 value_type="percent", rule="bands",
                                 params="0=0;50=15;100=30", max_points=30)
        Indicator.objects.create(framework=fw, group=vb, code="vb", name="Phần mềm văn bản",
                                 value_type="choice", rule="choice", params="a=30;b=15;c=0",
                                 max_points=30)
        Band.objects.create(framework=fw, label="Tốt", min_score=80, color="#2e7d32")
        Band.objects.create(framework=fw, label="Khá", min_score=65)
        Band.objects.create(framework=fw, label="Trung bình", min_score=50)
        Band.objects.create(framework=fw, label="Yếu", min_score=0)
        return fw

    def period(self, code: str, framework: Framework, cohorts, previous: Period | None = None,
               name: str | None = None) -> Period:
        period = Period.objects.create(code=code, name=name or f"Năm {code}",
                                       framework=framework, status=Period.Status.CLOSED,
                                       previous=previous)
        period.cohorts.set(cohorts)
        return period

    def submit(self, period: Period, unit: Unit, values: dict, status: str = APPROVED,
               adjusted: dict | None = None) -> Submission:
        """A submission with one answer per ``values`` item (bool/number/str)."""
        submission = Submission.objects.create(period=period, unit=unit, status=status)
        indicators = {i.code: i for i in period.framework.indicators.all()}
        answers = []
        for code, value in values.items():
            answer = Answer(submission=submission, indicator=indicators[code])
            _set(answer, value, "value_number", "value_text")
            if adjusted and code in adjusted:
                answer.verdict = Answer.Verdict.ADJUSTED
                _set(answer, adjusted[code], "adjusted_number", "adjusted_text")
            answers.append(answer)
        Answer.objects.bulk_create(answers)
        return submission


def _set(answer: Answer, value, number_field: str, text_field: str) -> None:
    if value is None:
        return
    if isinstance(value, str):
        setattr(answer, text_field, value)
    else:
        setattr(answer, number_field, float(value))


#: Answers giving 100, 85, 70, 55 and 40 points on the standard framework.
FULL = {"lan": True, "may_tinh": 100, "dvc": 100, "vb": "a"}          # 20+20+30+30 = 100
GOOD = {"lan": True, "may_tinh": 75, "dvc": 100, "vb": "a"}           # 20+15+30+30 = 95
FAIR = {"lan": True, "may_tinh": 50, "dvc": 60, "vb": "b"}            # 20+10+15+15 = 60
POOR = {"lan": False, "may_tinh": 50, "dvc": 40, "vb": "b"}           # 0+10+0+15 = 25


@pytest.fixture
def build() -> Builder:
    return Builder()


@pytest.fixture
def cohorts(build):
    """Two cohorts ranked apart: departments, then districts."""
    return (build.cohort("so", "Sở, Ban, Ngành", order=1),
            build.cohort("huyen", "Huyện, thành phố", order=2))


@pytest.fixture
def period_2017(build, cohorts):
    """Period 2017 (closed, not computed): four departments, two districts.

    Departments: Sở TT&TT (100), Sở Tài chính (95), Sở Xây dựng (60), Sở Nội vụ submitted
    but not approved, Sở Y tế without a submission, an inactive department (never listed).
    Districts: Thành phố Tam Kỳ (95, adjusted from 60 by the reviewer), Huyện Đại Lộc (25).
    """
    so, huyen = cohorts
    period = build.period("2017", build.standard_framework(), [so, huyen])
    units = {
        "STTTT": build.unit("STTTT", "Sở Thông tin và Truyền thông", so),
        "STC": build.unit("STC", "Sở Tài chính", so),
        "SXD": build.unit("SXD", "Sở Xây dựng", so),
        "SNV": build.unit("SNV", "Sở Nội vụ", so),
        "SYT": build.unit("SYT", "Sở Y tế", so),
        "SCU": build.unit("SCU", "Sở đã giải thể", so, active=False),
        "TAMKY": build.unit("TAMKY", "Thành phố Tam Kỳ", huyen),
        "DAILOC": build.unit("DAILOC", "Huyện Đại Lộc", huyen),
    }
    build.submit(period, units["STTTT"], FULL)
    build.submit(period, units["STC"], GOOD)
    build.submit(period, units["SXD"], FAIR)
    build.submit(period, units["SNV"], FULL, status=Submission.Status.SUBMITTED)
    build.submit(period, units["SCU"], FULL)
    build.submit(period, units["TAMKY"], FAIR,
                 adjusted={"may_tinh": 75, "dvc": 100, "vb": "a"})
    build.submit(period, units["DAILOC"], POOR)
    return period
