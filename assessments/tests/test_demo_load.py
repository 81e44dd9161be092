"""``load_demo``: the figures of the two articles, read back from what the portal stored.

The demo is loaded once for the module (a few seconds) inside a transaction rolled back at
the end; each test runs in a savepoint of its own.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from assessments.models import (
    Answer,
    Cohort,
    Framework,
    ImportRecord,
    Period,
    Submission,
    SubmissionTransition,
    Unit,
    User,
)
from rankings.models import GroupResult, RankingSnapshot, UnitResult

pytestmark = pytest.mark.django_db

PASSWORD = "demo-ict-2026"
TAM_KY, CUC_THUE = "QN-TAMKY", "QN-CUCTHUE"
TIED_SECOND = {"QN-SCT", "QN-STNMT", "QN-STTTT"}
CAO_BANG = "VN-CAOBANG"


@pytest.fixture(scope="module")
def output(django_db_setup, django_db_blocker):
    """The demo, loaded once; what the command printed."""
    with django_db_blocker.unblock(), transaction.atomic():
        stdout = io.StringIO()
        call_command("load_demo", stdout=stdout)
        yield stdout.getvalue()
        transaction.set_rollback(True)


def public_results(period_code: str, cohort_code: str | None = None) -> dict[str, UnitResult]:
    snapshot = RankingSnapshot.objects.get(period__code=period_code, is_public=True)
    results = snapshot.unit_results.select_related("unit", "cohort")
    if cohort_code:
        results = results.filter(cohort__code=cohort_code)
    return {result.unit.code: result for result in results}


def answers(indicator_code: str, cohort_code: str | None = None) -> dict[str, float]:
    """The scored values of QNAM-2015's approved returns for one indicator, by unit code."""
    rows = Answer.objects.filter(
        submission__period__code="QNAM-2015", submission__status=Submission.Status.APPROVED,
        indicator__code=indicator_code).select_related("submission__unit__cohort", "indicator")
    if cohort_code:
        rows = rows.filter(submission__unit__cohort__code=cohort_code)
    return {a.submission.unit.code: a.scored_value for a in rows}


def test_units_of_both_articles(output):
    counts = {c.code: c.units.count() for c in Cohort.objects.all()}
    assert counts == {"qn-departments": 31, "qn-districts": 18, "provinces": 63}
    names = set(Unit.objects.values_list("name", flat=True))
    assert {"Cục Thuế tỉnh Quảng Nam", "Sở Tài nguyên và Môi trường", "Công an tỉnh",
            "Sở Thông tin và Truyền thông", "Sở Công Thương", "Sở Giao thông vận tải",
            "Văn phòng UBND tỉnh", "Thành phố Tam Kỳ", "Thành phố Hội An", "Thị xã Điện Bàn",
            "Huyện Tây Giang", "Cao Bằng", "Thành phố Hồ Chí Minh"} <= names


def test_quang_nam_2015_leaderboards(output):
    districts = public_results("QNAM-2015", "qn-districts")
    assert (districts[TAM_KY].rank, districts[TAM_KY].score) == (1, 98.00)
    assert sorted(r.rank for r in districts.values()) == list(range(1, 19))

    departments = public_results("QNAM-2015", "qn-departments")
    assert departments[CUC_THUE].rank == 1
    assert {code for code, r in departments.items() if r.rank == 2} == TIED_SECOND
    rest = [r.rank for code, r in departments.items() if code not in TIED_SECOND | {CUC_THUE}]
    assert min(rest) == 5 and len(set(rest)) == len(rest)
    assert departments[CUC_THUE].band == "Tốt"
    # compared with 2014: ranks changed
    assert any(r.rank_change for r in departments.values())
    assert all(r.previous_rank is not None for r in departments.values())


def test_quang_nam_2015_figures_from_stored_answers(output):
    computers, staff = answers("computers"), answers("staff")
    assert sum(computers.values()) == 6477

    def ratio(cohort_code):
        codes = answers("staff", cohort_code).keys()
        return round(100 * sum(computers[c] for c in codes) / sum(staff[c] for c in codes))

    assert (ratio("qn-departments"), ratio("qn-districts")) == (97, 86)
    assert sum(answers("it_staff").values()) == 115
    assert list(answers("website").values()) == [True] * 49
    assert sum(answers("one_stop", "qn-districts").values()) == 5
    assert sum(answers("one_stop", "qn-departments").values()) == 2
    assert sum(answers("incentive").values()) == 33
    assert answers("dvc_level3")["QN-STNMT"] == 18


# The 2017 article's table: (2016 rank, 2017 rank, change), None for "-" or blank.
CAO_BANG_TABLE = {
    None: (None, 56, None),     # the overall index
    "HT": (57, 43, +14),
    "UDNB": (54, 58, -4),
    "CTT": (59, 50, +9),
    "DVC": (None, 18, None),
    "CS": (58, 41, +17),
    "NL": (57, 62, -5),
}


def test_cao_bang_ranks_and_changes(output):
    found = {}
    for period_code in ("MIC-2016", "MIC-2017"):
        snapshot = RankingSnapshot.objects.get(period__code=period_code, is_public=True)
        total = snapshot.unit_results.get(unit__code=CAO_BANG)
        found[period_code, None] = (total.rank, total.previous_rank, total.rank_change)
        for group in GroupResult.objects.filter(snapshot=snapshot, unit__code=CAO_BANG,
                                                group__parent__isnull=True):
            found[period_code, group.group.code] = (group.rank, group.previous_rank,
                                                    group.rank_change)
    for node, (rank_2016, rank_2017, change) in CAO_BANG_TABLE.items():
        assert found["MIC-2016", node] == (rank_2016, None, None), node
        assert found["MIC-2017", node] == (rank_2017, rank_2016, change), node
    ranked_2017 = public_results("MIC-2017")
    assert sorted(r.rank for r in ranked_2017.values()) == list(range(1, 64))  # no tie
    assert public_results("MIC-2016")[CAO_BANG].score is None


def test_frameworks_and_periods(output):
    mic_2016, mic_2017 = Framework.objects.get(code="MIC-2016"), Framework.objects.get(
        code="MIC-2017")
    assert (mic_2016.scale, mic_2016.decimals, mic_2016.missing) == (1, 4, "unranked")
    assert set(mic_2016.groups.values_list("code", flat=True)) == set(
        mic_2017.groups.values_list("code", flat=True))
    qnam = Framework.objects.get(code="QNAM")
    assert qnam.scale == 100 and qnam.is_frozen
    assert dict(qnam.bands.values_list("label", "min_score")) == {
        "Tốt": 80, "Khá": 65, "Trung bình": 50, "Yếu": 0}
    assert all(qnam.bands.values_list("color", flat=True))
    assert qnam.indicators.get(code="computer_ratio").formula == "computers / staff * 100"
    assert qnam.indicators.get(code="one_stop_commune").applies_to == "qn-districts"
    assert set(qnam.indicators.values_list("rule", flat=True)) >= {
        "boolean", "bands", "ratio", "choice", "direct", "none"}

    published = Period.objects.filter(status=Period.Status.PUBLISHED)
    assert set(published.values_list("code", flat=True)) == {
        "QNAM-2014", "QNAM-2015", "MIC-2016", "MIC-2017"}
    assert Period.objects.get(code="QNAM-2015").previous.code == "QNAM-2014"
    assert Period.objects.get(code="MIC-2017").previous.code == "MIC-2016"
    assert Period.objects.get(code="MIC-2016").previous is None  # no earlier provinces period
    published_on = {s.period.code: timezone.localdate(s.published_at)
                    for s in RankingSnapshot.objects.filter(is_public=True)
                    .select_related("period")}
    assert published_on["QNAM-2015"] == datetime.date(2015, 12, 30)  # the report's date
    assert published_on["MIC-2017"].timetuple()[:2] == (2018, 7)  # "đầu tháng 7" 2018
    still_open = Period.objects.get(code="QNAM-2016")
    assert still_open.status == Period.Status.OPEN
    assert still_open.deadline > timezone.localdate() >= still_open.opens_on
    assert not still_open.submissions.exists()


def test_accounts(output):
    admin, reviewer = User.objects.get(username="admin"), User.objects.get(username="reviewer")
    assert admin.is_superuser and admin.is_staff and admin.role == User.Role.ADMIN
    assert reviewer.role == User.Role.REVIEWER and not reviewer.is_superuser
    staff = {u.username: u for u in User.objects.filter(role=User.Role.UNIT_STAFF)
             .select_related("unit")}
    assert len(staff) == 112
    for unit in Unit.objects.all():
        assert staff[unit.code.lower()].unit == unit
    for user in (admin, reviewer, staff["qn-tamky"], staff["vn-caobang"]):
        assert user.check_password(PASSWORD)
    assert PASSWORD in output


def test_loading_twice_changes_nothing(output):
    models = (Cohort, Unit, User, Framework, Period, Submission, Answer, SubmissionTransition,
              ImportRecord, RankingSnapshot, UnitResult, GroupResult)
    before = {model: model.objects.count() for model in models}
    stdout = io.StringIO()
    call_command("load_demo", stdout=stdout)
    assert {model: model.objects.count() for model in models} == before
    assert "không thay đổi gì" in stdout.getvalue()
