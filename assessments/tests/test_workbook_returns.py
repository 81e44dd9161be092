"""import_returns: wide and long layouts, every value type, every refusal, bulk writes."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.models import (
    Answer,
    Cohort,
    ImportRecord,
    Period,
    Submission,
    SubmissionTransition,
    Unit,
)
from assessments.services import import_framework, import_returns
from assessments.workbooks import WorkbookError

from .conftest import db_state
from .factories import set_cached_values, write_csv, write_xlsx

pytestmark = pytest.mark.django_db

WIDE_HEADER = ["unit_code", "unit_name", "may_tinh", "can_bo", "lan", "ty_le_dvc", "muc_do",
               "ghi_chu", "diem_huyen"]
#                A            B                               C      D    E     F     G    H
SO_TTTT = ["SO-TTTT", "Sở Thông tin và Truyền thông", 120, 100, "có", 97, "A", "Đủ máy", None]
H_A = ["H-A", "Huyện A", "1.234,5", 10, "x", "97%", "b", None, 7]
EXPECTED = [
    ("H-A", "can_bo", 10.0, ""),
    ("H-A", "diem_huyen", 7.0, ""),
    ("H-A", "lan", 1.0, ""),
    ("H-A", "may_tinh", 1234.5, ""),
    ("H-A", "muc_do", None, "B"),
    ("H-A", "ty_le_dvc", 97.0, ""),
    ("SO-TTTT", "can_bo", 100.0, ""),
    ("SO-TTTT", "ghi_chu", None, "Đủ máy"),
    ("SO-TTTT", "lan", 1.0, ""),
    ("SO-TTTT", "may_tinh", 120.0, ""),
    ("SO-TTTT", "muc_do", None, "A"),
    ("SO-TTTT", "ty_le_dvc", 97.0, ""),
]


def answers():
    return sorted(Answer.objects.values_list("submission__unit__code", "indicator__code",
                                             "value_number", "value_text"))


def wide(*rows, header=WIDE_HEADER):
    return {"returns": [list(header)] + [list(r) for r in rows]}


def long_rows(*rows):
    return {"returns": [["unit_code", "indicator_code", "value", "explanation"]]
            + [list(r) for r in rows]}


def long_equivalent():
    rows = []
    for row in (SO_TTTT, H_A):
        for code, value in zip(WIDE_HEADER[2:], row[2:], strict=True):
            if value is not None:
                rows.append([row[0], code, value, None])
    return rows


def test_wide_returns_become_submitted_submissions(period, tmp_path):
    path = write_xlsx(tmp_path / "returns.xlsx", wide(SO_TTTT, H_A))
    summary = import_returns(period=period, source=path)
    assert answers() == EXPECTED
    assert summary.layout == "wide"
    assert summary.counts == {"units": 2, "answers_created": 12, "answers_changed": 0,
                              "answers_unchanged": 0}
    assert [(u["unit"], u["before"], u["after"], u["created"]) for u in summary.units] == [
        ("SO-TTTT", "-", "submitted", 6), ("H-A", "-", "submitted", 6)]
    for submission in Submission.objects.all():
        assert submission.status == "submitted" and submission.submitted_at is not None
        assert submission.approved_at is None
    assert sorted(SubmissionTransition.objects.values_list(
        "submission__unit__code", "from_status", "to_status", "message")) == [
        ("H-A", "", "submitted", "Nhập từ tệp returns.xlsx"),
        ("SO-TTTT", "", "submitted", "Nhập từ tệp returns.xlsx")]
    record = ImportRecord.objects.get(kind="returns")
    assert (record.kind, record.period_id, record.file_name) == ("returns", period.pk,
                                                                 "returns.xlsx")
    assert record.summary["counts"]["answers_created"] == 12


def test_long_returns_give_the_same_answers_as_wide_ones(period, tmp_path):
    rows = long_equivalent()
    rows[0][3] = "Theo báo cáo số 12/BC-STTTT"
    summary = import_returns(period=period, source=write_xlsx(tmp_path / "r.xlsx",
                                                              long_rows(*rows)))
    assert summary.layout == "long"
    assert answers() == EXPECTED
    assert Answer.objects.get(submission__unit__code="SO-TTTT",
                              indicator__code="may_tinh").explanation == (
        "Theo báo cáo số 12/BC-STTTT")


@pytest.mark.parametrize("layout", ["wide", "long"])
def test_csv_is_accepted_for_returns(period, tmp_path, layout):
    if layout == "wide":
        rows = wide(SO_TTTT, H_A)["returns"]
    else:
        rows = long_rows(*long_equivalent())["returns"]
    rows = [["" if v is None else str(v) for v in row] for row in rows]
    import_returns(period=period, source=write_csv(tmp_path / "r.csv", rows, bom=True))
    assert answers() == EXPECTED


def test_percent_values_by_cell_format_and_by_text(period, tmp_path):
    rows = [[code, None, None, None, None, value] for code, value in
            [("SO-TTTT", 0.97), ("SO-GD", "45,5%"), ("H-A", 97), ("H-B", 0.97)]]
    path = write_xlsx(tmp_path / "r.xlsx", wide(*rows), formats={("returns", "F2"): "0%"})
    import_returns(period=period, source=path)
    assert sorted(Answer.objects.values_list("submission__unit__code", "value_number")) == [
        ("H-A", 97.0), ("H-B", 0.97), ("SO-GD", 45.5), ("SO-TTTT", 97.0)]


def test_formula_cells_count_by_their_cached_value(period, tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", wide(["H-A", None, "=D2*12", 10]))
    set_cached_values(path, {"C2": "120"})
    import_returns(period=period, source=path)
    assert answers() == [("H-A", "can_bo", 10.0, ""), ("H-A", "may_tinh", 120.0, "")]


def test_approve_imports_approved_submissions_through_submitted(period, tmp_path):
    summary = import_returns(period=period, approve=True,
                             source=write_xlsx(tmp_path / "r.xlsx", wide(SO_TTTT)))
    submission = Submission.objects.get()
    assert submission.status == "approved" and submission.approved_at is not None
    assert list(submission.transitions.values_list("from_status", "to_status")) == [
        ("", "submitted"), ("submitted", "approved")]
    assert summary.units[0]["after"] == "approved"


def test_dry_run_validates_and_writes_nothing(period, tmp_path):
    before = db_state()
    summary = import_returns(period=period, dry_run=True,
                             source=write_xlsx(tmp_path / "r.xlsx", wide(SO_TTTT, H_A)))
    assert summary.dry_run and summary.counts["answers_created"] == 12
    assert db_state() == before


def test_reimport_counts_unchanged_and_changed_answers(period, tmp_path):
    import_returns(period=period, source=write_xlsx(tmp_path / "a.xlsx", wide(SO_TTTT, H_A)))
    submission = Submission.objects.get(unit__code="SO-TTTT")
    again = import_returns(period=period, source=write_xlsx(tmp_path / "b.xlsx",
                                                            wide(SO_TTTT, H_A)))
    assert again.counts == {"units": 2, "answers_created": 0, "answers_changed": 0,
                            "answers_unchanged": 12}
    submission.refresh_from_db()
    assert submission.version == 1 and submission.transitions.count() == 1

    changed = list(SO_TTTT)
    changed[2], changed[7] = 150, None  # a new value; an emptied cell clears the answer
    summary = import_returns(period=period,
                             source=write_xlsx(tmp_path / "c.xlsx", wide(changed)))
    assert summary.counts["answers_changed"] == 2 and summary.counts["answers_unchanged"] == 4
    assert ("SO-TTTT", "may_tinh", 150.0, "") in answers()
    assert ("SO-TTTT", "ghi_chu", None, "") in answers()
    submission.refresh_from_db()
    assert submission.version == 2 and submission.status == "submitted"


def test_columns_absent_from_the_file_leave_answers_alone(period, tmp_path):
    import_returns(period=period, source=write_xlsx(tmp_path / "a.xlsx", long_rows(
        ["H-A", "may_tinh", 5, "giải trình"])))
    import_returns(period=period, source=write_xlsx(tmp_path / "b.xlsx", wide(
        ["H-A", 10], header=["unit_code", "can_bo"])))
    answer = Answer.objects.get(indicator__code="may_tinh")
    assert (answer.value_number, answer.explanation) == (5.0, "giải trình")
    assert ("H-A", "can_bo", 10.0, "") in answers()


def test_a_returned_submission_is_resubmitted_by_an_import(period, province, tmp_path):
    Submission.objects.create(period=period, unit=province["H-A"], status="returned")
    import_returns(period=period, source=write_xlsx(tmp_path / "r.xlsx", wide(H_A)))
    submission = Submission.objects.get()
    assert submission.status == "resubmitted"
    assert list(submission.transitions.values_list("from_status", "to_status")) == [
        ("returned", "resubmitted")]


def test_values_of_derived_indicators_are_ignored_with_a_warning(period, tmp_path):
    header = WIDE_HEADER[:4] + ["mt_per_cb"]
    summary = import_returns(period=period, source=write_xlsx(tmp_path / "r.xlsx", wide(
        ["SO-TTTT", None, 120, 100, 120], ["H-A", None, 10, 10, 100], header=header)))
    assert not Answer.objects.filter(indicator__code="mt_per_cb").exists()
    assert [str(w) for w in summary.warnings] == [
        "Sheet returns, ô E2 (mt_per_cb): tiêu chí mt_per_cb được tính theo công thức; 2 giá "
        "trị trong tệp bị bỏ qua (E2, E3)."]


def test_a_closed_period_still_accepts_imports(period, tmp_path):
    Period.objects.filter(pk=period.pk).update(status=Period.Status.CLOSED)
    import_returns(period=period, source=write_xlsx(tmp_path / "r.xlsx", wide(H_A)))
    assert Submission.objects.count() == 1


# --- refusals -----------------------------------------------------------------------------

def refused(period, path, **kwargs) -> list[str]:
    before = db_state()
    with pytest.raises(WorkbookError) as exc:
        import_returns(period=period, source=path, **kwargs)
    assert db_state() == before
    return [str(e) for e in exc.value.errors]


@pytest.mark.parametrize("row, expected", [
    (["NOPE", None, 1], "Sheet returns, ô A3 (NOPE): mã đơn vị 'NOPE' không có trong hệ thống."),
    (["SO-TTTT", None, 1], "Sheet returns, ô A3 (SO-TTTT): đơn vị 'SO-TTTT' đã có ở dòng 2."),
    (["P-X", None, 1], "Sheet returns, ô A3 (P-X): đơn vị thuộc nhóm 'provinces', không tham "
                       "gia kỳ đánh giá này (các nhóm tham gia: depts, districts)."),
    ([None, "Không mã", 1], "Sheet returns, ô A3: thiếu mã đơn vị (unit_code)."),
    (["SO-GD", None, None, None, None, None, None, None, 5],
     "Sheet returns, ô I3 (SO-GD): tiêu chí diem_huyen không áp dụng cho nhóm đơn vị 'depts'; "
     "ô phải để trống."),
    (["H-A", None, "abc"], "Sheet returns, ô C3 (H-A): tiêu chí may_tinh: giá trị 'abc' không "
                           "phải là số."),
    (["H-A", None, "6.477"], "Sheet returns, ô C3 (H-A): tiêu chí may_tinh: giá trị '6.477' "
                             "không rõ nghĩa: có thể là 6.477 hoặc 6477. Hãy nhập số vào ô kiểu "
                             "số, hoặc viết rõ phần thập phân (ví dụ 6.477,0 hoặc 6477)."),
    (["H-A", None, -1], "Sheet returns, ô C3 (H-A): tiêu chí may_tinh: giá trị -1 nhỏ hơn giá "
                        "trị nhỏ nhất cho phép 0."),
    (["H-A", None, None, 2.5], "Sheet returns, ô D3 (H-A): tiêu chí can_bo: giá trị '2.5' không "
                               "phải là số nguyên."),
    (["H-A", None, None, None, "maybe"],
     "Sheet returns, ô E3 (H-A): tiêu chí lan: giá trị 'maybe' không phải là có/không (có, "
     "không, yes, no, true, false, 1, 0, x)."),
    (["H-A", None, None, None, None, "120%"],
     "Sheet returns, ô F3 (H-A): tiêu chí ty_le_dvc: giá trị 120% nằm ngoài khoảng cho phép "
     "0–100."),
    (["H-A", None, None, None, None, None, "D"],
     "Sheet returns, ô G3 (H-A): tiêu chí muc_do: giá trị 'D' không phải là một lựa chọn hợp lệ "
     "(A, B, C)."),
    (["H-A", None, None, None, None, None, None, None, 11],
     "Sheet returns, ô I3 (H-A): tiêu chí diem_huyen: giá trị 11 nằm ngoài khoảng cho phép "
     "0–10."),
])
def test_each_wide_error_names_its_cell_and_a_valid_row_before_it_writes_nothing(
        period, tmp_path, row, expected):
    valid = ["SO-TTTT", None, 120, 100]
    errors = refused(period, write_xlsx(tmp_path / "r.xlsx", wide(valid, row)))
    assert errors == [expected]


def test_an_unknown_indicator_column_is_an_error_at_its_header(period, tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", wide(["H-A", 1, 2], header=[
        "unit_code", "may_tinh", "may_tinh_2", "# ghi chú của người lập"]))
    assert refused(period, path) == [
        "Sheet returns, ô C1 (may_tinh_2): cột 'may_tinh_2' không phải là mã tiêu chí của bộ "
        "tiêu chí này."]


def test_a_formula_without_a_computed_value_is_an_error(period, tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", wide(["H-A", None, "=D2*12", 10]))
    assert refused(period, path) == [
        "Sheet returns, ô C2 (H-A): tiêu chí may_tinh: ô có công thức nhưng chưa có giá trị đã "
        "tính; hãy mở tệp bằng Excel, tính lại (F9) và lưu."]


@pytest.mark.parametrize("row, expected", [
    (["H-A", "nhan_vien", 3], "Sheet returns, ô B3 (H-A): mã tiêu chí 'nhan_vien' không có "
                              "trong bộ tiêu chí của kỳ đánh giá."),
    (["H-A", "may_tinh", 3], "Sheet returns, ô B3 (H-A): đơn vị 'H-A', tiêu chí may_tinh đã có "
                             "ở dòng 2."),
    (["H-A", None, 3], "Sheet returns, ô B3 (H-A): thiếu mã tiêu chí (indicator_code)."),
    (["H-A", "lan", "có lẽ"], "Sheet returns, ô C3 (H-A): tiêu chí lan: giá trị 'có lẽ' không "
                              "phải là có/không (có, không, yes, no, true, false, 1, 0, x)."),
])
def test_each_long_error_names_its_cell(period, tmp_path, row, expected):
    path = write_xlsx(tmp_path / "r.xlsx", long_rows(["H-A", "may_tinh", 5], row))
    assert refused(period, path) == [expected]


def test_every_error_of_the_file_is_reported(period, tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", wide(
        ["H-A", None, "abc", 2.5], ["NOPE", None, "x"], ["H-B", None, 1, 1, "?"]))
    assert [e.split(":")[0] for e in refused(period, path)] == [
        "Sheet returns, ô C2 (H-A)", "Sheet returns, ô D2 (H-A)", "Sheet returns, ô A3 (NOPE)",
        "Sheet returns, ô C3 (NOPE)", "Sheet returns, ô E4 (H-B)"]


def test_a_missing_value_column_in_the_long_layout_is_reported(period, tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", {"returns": [
        ["unit_code", "indicator_code", "gia_tri"], ["H-A", "may_tinh", 1]]})
    # without "value" the header reads as a wide layout with unknown indicator columns
    assert refused(period, path) == [
        "Sheet returns, ô B1 (indicator_code): cột 'indicator_code' không phải là mã tiêu chí "
        "của bộ tiêu chí này.",
        "Sheet returns, ô C1 (gia_tri): cột 'gia_tri' không phải là mã tiêu chí của bộ tiêu chí "
        "này."]


def test_a_sheet_without_unit_code_is_refused(period, tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", {"returns": [["ma_don_vi", "may_tinh"], ["H-A", 1]]})
    assert refused(period, path) == [
        "Sheet returns: không tìm thấy dòng tiêu đề có cột 'unit_code' trong 20 dòng đầu của "
        "sheet đầu tiên."]


def test_an_approved_submission_is_locked(period, province, tmp_path):
    Submission.objects.create(period=period, unit=province["H-A"], status="approved")
    path = write_xlsx(tmp_path / "r.xlsx", wide(SO_TTTT, H_A))
    assert refused(period, path) == [
        "Sheet returns, ô A3 (H-A): phiếu của đơn vị đã được duyệt (khoá): không thể nhập đè. "
        "Hãy mở lại phiếu trước khi nhập."]


@pytest.mark.parametrize("status", ["published", "draft", "appeal"])
def test_a_period_not_open_for_import_is_refused(period, tmp_path, status):
    Period.objects.filter(pk=period.pk).update(status=status)
    period.refresh_from_db()
    errors = refused(period, write_xlsx(tmp_path / "r.xlsx", wide(H_A)))
    label = Period.Status(status).label
    assert errors == [f"kỳ 2017 đang ở trạng thái '{label}': không nhận nhập báo cáo (chỉ nhận "
                      "khi đang mở hoặc đã hết hạn, chưa công bố)."]


# --- scale and locking ----------------------------------------------------------------------

@pytest.fixture
def big_period(db, tmp_path):
    """50 units × 40 number indicators."""
    from assessments.services import create_period

    cohort = Cohort.objects.create(code="communes", name="Xã")
    Unit.objects.bulk_create(Unit(code=f"X-{n:02}", name=f"Xã {n}", cohort=cohort)
                             for n in range(50))
    codes = [f"c{n:02}" for n in range(40)]
    framework = import_framework(source=write_xlsx(tmp_path / "f.xlsx", {
        "settings": [["key", "value"], ["code", "BIG"], ["name", "Lớn"]],
        "groups": [["code", "name"], ["G", "Nhóm"]],
        "indicators": [["code", "group", "name", "value_type", "rule", "max_points"]]
        + [[c, "G", c, "number", "direct", 100] for c in codes],
    }))
    return create_period(code="BIG-2017", framework=framework, cohorts=[cohort]), codes


def test_fifty_units_by_forty_indicators_import_quickly_in_few_queries(big_period, tmp_path):
    period, codes = big_period
    rows = [[f"X-{u:02}"] + [(u * i) % 100 for i in range(40)] for u in range(50)]
    path = write_xlsx(tmp_path / "r.xlsx", wide(*rows, header=["unit_code"] + codes))
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        summary = import_returns(period=period, source=path, approve=True)
    elapsed = time.perf_counter() - started
    assert summary.counts["answers_created"] == 2000  # a 0 is a value, not a missing one
    assert Answer.objects.filter(submission__period=period).count() == 2000
    assert elapsed < 3, elapsed
    assert len(queries) < 40, len(queries)
    # a second import changes every answer, still in bulk
    rows = [[f"X-{u:02}"] + [((u * i) % 100) + 0.5 for i in range(40)] for u in range(50)]
    Submission.objects.update(status="submitted")
    with CaptureQueriesContext(connection) as queries:
        summary = import_returns(period=period, source=write_xlsx(
            tmp_path / "r2.xlsx", wide(*rows, header=["unit_code"] + codes)))
    assert summary.counts["answers_changed"] == 2000
    assert len(queries) < 40, len(queries)


def test_the_period_and_submissions_are_locked_while_importing(period, province, tmp_path):
    Submission.objects.create(period=period, unit=province["H-A"], status="draft")
    with CaptureQueriesContext(connection) as queries:
        import_returns(period=period, source=write_xlsx(tmp_path / "r.xlsx", wide(H_A)))
    locking = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]
    if connection.features.has_select_for_update:
        assert any('"assessments_period"' in sql for sql in locking)
        assert any('"assessments_submission"' in sql for sql in locking)
    else:  # SQLite serialises writers itself and ignores select_for_update
        assert locking == []
