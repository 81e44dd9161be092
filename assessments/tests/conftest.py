"""Fixtures of the workbook and command tests: a small province (cohorts, units), a
framework with one indicator of each value type (imported from its workbook), an open
period. Workbook builders live in ``factories.py``."""

from __future__ import annotations

import pytest

from assessments.models import (
    Answer,
    Band,
    Cohort,
    CriterionGroup,
    Framework,
    ImportRecord,
    Indicator,
    Period,
    Submission,
    SubmissionTransition,
    Unit,
)

from .factories import framework_sheets, write_xlsx

# --- database fixtures --------------------------------------------------------------------

@pytest.fixture
def province(db):
    """Cohorts depts and districts (and provinces, outside the period) with their units."""
    depts = Cohort.objects.create(code="depts", name="Sở, ban, ngành", order=1)
    districts = Cohort.objects.create(code="districts", name="Huyện, thị xã", order=2)
    provinces = Cohort.objects.create(code="provinces", name="Tỉnh", order=3)
    units = {}
    for code, name, cohort in [("SO-TTTT", "Sở Thông tin và Truyền thông", depts),
                               ("SO-GD", "Sở Giáo dục và Đào tạo", depts),
                               ("H-A", "Huyện A", districts),
                               ("H-B", "Huyện B", districts),
                               ("P-X", "Tỉnh X", provinces)]:
        units[code] = Unit.objects.create(code=code, name=name, cohort=cohort)
    return units


@pytest.fixture
def framework(db, tmp_path):
    from assessments.services import import_framework

    path = write_xlsx(tmp_path / "framework.xlsx", framework_sheets())
    return import_framework(source=path)


@pytest.fixture
def period(province, framework):
    from assessments.services import create_period

    return create_period(code="2017", framework=framework, cohorts=["depts", "districts"])


def db_state() -> dict:
    """Everything an import could write, to compare before and after a refused one."""
    return {
        "cohorts": sorted(Cohort.objects.values_list("code", "name", "order")),
        "units": sorted(Unit.objects.values_list("code", "name", "cohort__code", "parent__code",
                                                 "active")),
        "frameworks": sorted(Framework.objects.values_list("code", "name", "scale")),
        "groups": sorted(CriterionGroup.objects.values_list("framework__code", "code", "name",
                                                            "weight", "parent__code")),
        "indicators": sorted(Indicator.objects.values_list(
            "framework__code", "code", "name", "rule", "params", "min_value", "max_value")),
        "bands": sorted(Band.objects.values_list("framework__code", "label", "min_score")),
        "periods": sorted(Period.objects.values_list("code", "status")),
        "submissions": sorted(Submission.objects.values_list("unit__code", "status", "version")),
        "answers": sorted(Answer.objects.values_list(
            "submission__unit__code", "indicator__code", "value_number", "value_text",
            "explanation")),
        "transitions": SubmissionTransition.objects.count(),
        "imports": ImportRecord.objects.count(),
    }
