"""The bulk write path of import_returns (assessments/bulk_answers.py) and the fast path of
the wide reader: the same results as the reference rules, on SQLite and on PostgreSQL (run
this file with ``DATABASE_URL=postgres://…`` too: there both writers are compared)."""

from __future__ import annotations

import math
import struct

import pytest
from django.db import connection

from assessments import bulk_answers
from assessments.models import (
    Answer,
    AnswerChange,
    ImportRecord,
    Submission,
    SubmissionTransition,
    User,
)
from assessments.services import answer_text, import_returns
from assessments.workbooks import returns as returns_module
from assessments.workbooks.errors import Problems
from assessments.workbooks.reader import open_workbook
from assessments.workbooks.returns import ReturnValues

from .conftest import db_state
from .factories import write_xlsx

pytestmark = pytest.mark.django_db

HEADER = ["unit_code", "unit_name", "may_tinh", "can_bo", "lan", "ty_le_dvc", "muc_do",
          "ghi_chu"]
TYPES = {"may_tinh": "number", "can_bo": "integer", "lan": "boolean", "ty_le_dvc": "percent",
         "muc_do": "choice", "ghi_chu": "text"}
FIRST = [
    ["SO-TTTT", None, 120, 100, "có", 97, "A", "Đủ máy"],
    ["SO-GD", None, 80.5, None, "không", 45.5, "b", None],
    ["H-A", None, "1.234,5", 10, "x", "97%", "C", "tab\there, back\\slash"],
    ["H-B", None, None, None, None, None, None, None],
]
SECOND = [  # changed, cleared, filled, unchanged; H-B still empty
    ["SO-TTTT", None, 130, 100, "không", 97, "B", None],
    ["SO-GD", None, 80.5, 12, "không", 45.5, "B", "mới"],
    ["H-A", None, "1.234,5", 10, "x", 96.25, "C", "tab\there, back\\slash"],
    ["H-B", None, None, None, None, None, None, None],
]
LONG = [  # explanations: given, changed, emptied; a value with its explanation
    ["SO-TTTT", "may_tinh", 130, "theo kiểm kê"],
    ["SO-GD", "can_bo", 13, ""],
    ["H-A", "lan", "có", "biên bản số 12"],
    ["H-B", "muc_do", "A", "mới nộp"],
]


def wide(rows):
    return {"returns": [HEADER] + [list(r) for r in rows]}


def long(rows):
    return {"returns": [["unit_code", "indicator_code", "value", "explanation"]]
            + [list(r) for r in rows]}


# --- a reference model of the import's rules --------------------------------------------------

class Reference:
    """What the import must do, written plainly: the stored answers, per-unit counts and
    the history, as the form and the former ORM path defined them."""

    def __init__(self):
        self.stored: dict[tuple[str, str], tuple] = {}  # (unit, code) -> (number, text, expl)
        self.history: list[tuple] = []

    def apply(self, values: list[tuple]) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for unit, code, number, text, explanation in values:
            entry = counts.setdefault(unit, {"created": 0, "changed": 0, "unchanged": 0})
            old = self.stored.get((unit, code))
            if old is None:
                if number is None and not text and not explanation:
                    continue
                entry["created"] += 1
                self.stored[(unit, code)] = (number, text, explanation or "")
                continue
            new = (number, text, old[2] if explanation is None else explanation)
            if new == old:
                entry["unchanged"] += 1
                continue
            entry["changed"] += 1
            before, after = (answer_text(old[0], old[1], TYPES[code]),
                             answer_text(new[0], new[1], TYPES[code]))
            if before != after:
                self.history.append((unit, code, "value", before, after))
            if new[2] != old[2]:
                self.history.append((unit, code, "explanation", old[2], new[2]))
            self.stored[(unit, code)] = new
        return counts


def parsed_values(path, period) -> list[tuple]:
    """The file's values as the reader gives them: (unit, code, number, text, explanation)."""
    from assessments.models import Unit
    from assessments.services import _indicator_infos
    from assessments.workbooks.returns import UnitInfo, read_returns

    units = {u.code: UnitInfo(u.id, u.code, u.name, u.cohort.code)
             for u in Unit.objects.select_related("cohort")}
    parsed = read_returns(open_workbook(path), Problems(), units=units,
                          indicators=_indicator_infos(period.framework),
                          cohorts=set(period.cohorts.values_list("code", flat=True)))
    return [(v.unit.code, v.indicator.code, v.number, v.text, v.explanation)
            for v in parsed.values]


def stored_answers() -> dict[tuple[str, str], tuple]:
    return {(u, c): (n, t, e) for u, c, n, t, e in Answer.objects.values_list(
        "submission__unit__code", "indicator__code", "value_number", "value_text",
        "explanation")}


def recorded_history() -> list[tuple]:
    return sorted(AnswerChange.objects.values_list(
        "answer__submission__unit__code", "answer__indicator__code", "field", "old", "new"))


def per_unit(summary) -> dict[str, dict[str, int]]:
    return {u["unit"]: {k: u[k] for k in ("created", "changed", "unchanged")}
            for u in summary.units}


def everything() -> dict:
    """The state an import writes, for comparing two runs (ids and times left out)."""
    return {
        **db_state(),
        "submission_fields": sorted(
            (code, status, version, submitted is None, approved is None)
            for code, status, version, submitted, approved in Submission.objects.values_list(
                "unit__code", "status", "version", "submitted_at", "approved_at")),
        "transitions": sorted(SubmissionTransition.objects.values_list(
            "submission__unit__code", "from_status", "to_status", "actor__username",
            "message")),
        "answer_rows": sorted(Answer.objects.values_list(
            "submission__unit__code", "indicator__code", "value_number", "value_text",
            "explanation", "verdict", "adjusted_number", "adjusted_text", "review_comment",
            "open_for_correction", "reviewed_by_id", "reviewed_at")),
        "history": sorted(AnswerChange.objects.values_list(
            "answer__submission__unit__code", "answer__indicator__code", "field", "old", "new",
            "source", "actor__username")),
    }


@pytest.fixture(params=["native", "python"])
def writer(request, monkeypatch):
    """Each test runs with the database's own writer, and again with the Python writer (on
    SQLite both are the Python writer)."""
    if request.param == "python":
        if connection.vendor != "postgresql":
            pytest.skip("the Python writer is the only one here")
        monkeypatch.setattr(bulk_answers, "answer_writer", _python_writer)
        monkeypatch.setattr("assessments.services.answer_writer", _python_writer)
    return request.param


def _python_writer(**kwargs):
    from django.db import connection as default

    kwargs.setdefault("connection", default)
    return bulk_answers.PythonAnswerWriter(**kwargs)


# --- the results --------------------------------------------------------------------------

def test_imports_follow_the_reference_rules(writer, period, tmp_path):
    actor = User.objects.create_user("admin-import", password="x", role=User.Role.ADMIN)
    reference = Reference()
    for number, sheets in enumerate([wide(FIRST), wide(SECOND), long(LONG), wide(SECOND)]):
        path = write_xlsx(tmp_path / f"r{number}.xlsx", sheets)
        expected = reference.apply(parsed_values(path, period))
        preview = import_returns(period=period, source=path, dry_run=True, actor=actor)
        summary = import_returns(period=period, source=path, actor=actor)
        assert per_unit(preview) == per_unit(summary)
        assert {u: c for u, c in per_unit(summary).items() if u in expected} == expected
        assert stored_answers() == reference.stored
        assert recorded_history() == sorted(reference.history)
    assert set(AnswerChange.objects.values_list("source", "actor__username")) == {
        ("workbook", "admin-import")}


def test_both_writers_leave_the_same_database(period, tmp_path, monkeypatch):
    states = []
    for kind in ("native", "python"):
        if kind == "python":
            monkeypatch.setattr("assessments.services.answer_writer", _python_writer)
        (tmp_path / kind).mkdir()
        for number, sheets in enumerate([wide(FIRST), wide(SECOND), long(LONG)]):
            import_returns(period=period, approve=number == 2,
                           source=write_xlsx(tmp_path / kind / f"{number}.xlsx", sheets))
        states.append(everything())
        Submission.objects.all().delete()
        ImportRecord.objects.filter(kind="returns").delete()
    assert states[0] == states[1]
    assert states[0]["history"]  # the comparison covers the history too


def test_the_same_file_again_changes_nothing(writer, period, tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", wide(FIRST))
    import_returns(period=period, source=path)
    before = everything()
    stamps = sorted(Answer.objects.values_list("pk", "updated_at"))
    summary = import_returns(period=period, source=path)
    assert summary.counts["answers_created"] == summary.counts["answers_changed"] == 0
    assert summary.counts["answers_unchanged"] == len(stamps) == 16
    assert everything() == {**before, "imports": before["imports"] + 1}
    assert sorted(Answer.objects.values_list("pk", "updated_at")) == stamps
    assert not AnswerChange.objects.exists()


def test_a_reimport_records_each_change_old_to_new(writer, period, tmp_path):
    import_returns(period=period, source=write_xlsx(tmp_path / "a.xlsx", wide(FIRST)))
    version = Submission.objects.get(unit__code="SO-TTTT").version
    summary = import_returns(period=period, source=write_xlsx(tmp_path / "b.xlsx", wide(SECOND)))
    assert per_unit(summary)["SO-TTTT"] == {"created": 0, "changed": 4, "unchanged": 2}
    assert [c for c in recorded_history() if c[0] == "SO-TTTT"] == [
        ("SO-TTTT", "ghi_chu", "value", "Đủ máy", ""),
        ("SO-TTTT", "lan", "value", "Có", "Không"),
        ("SO-TTTT", "may_tinh", "value", "120", "130"),
        ("SO-TTTT", "muc_do", "value", "A", "B"),
    ]
    assert Submission.objects.get(unit__code="SO-TTTT").version == version + 1
    assert Submission.objects.get(unit__code="H-B").version == 1  # nothing of its changed


@pytest.mark.parametrize("where", ["_insert_defaults", "history_rows"])
def test_a_failure_in_the_middle_of_the_write_leaves_the_database_unchanged(
        writer, period, tmp_path, monkeypatch, where):
    import_returns(period=period, source=write_xlsx(tmp_path / "a.xlsx", wide(FIRST)))
    before, changes = everything(), AnswerChange.objects.count()

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    original = getattr(bulk_answers, where)
    calls = []

    def fail_late(*args, **kwargs):
        calls.append(1)
        if where == "history_rows":
            yield from original(*args, **kwargs)  # the history is written, then it fails
        raise RuntimeError("disk full")

    monkeypatch.setattr(bulk_answers, where, fail if where == "_insert_defaults" else fail_late)
    with pytest.raises(RuntimeError):
        import_returns(period=period, source=write_xlsx(tmp_path / "b.xlsx", wide(SECOND)))
    assert everything() == before and AnswerChange.objects.count() == changes


# --- the binary COPY data ---------------------------------------------------------------------

def decode_copy(data: bytes) -> list[tuple]:
    """PostgreSQL's binary COPY format, read back (five columns)."""
    assert data[:11] == b"PGCOPY\n\xff\r\n\x00"
    at, rows = 19, []
    while True:
        (fields,) = struct.unpack_from(">h", data, at)
        at += 2
        if fields == -1:
            assert at == len(data)
            return rows
        row = []
        for kind in ("q", "q", "d", "s", "s"):
            (length,) = struct.unpack_from(">i", data, at)
            at += 4
            if length < 0:
                row.append(None)
                continue
            raw = data[at:at + length]
            at += length
            row.append(raw.decode() if kind == "s" else struct.unpack(f">{kind}", raw)[0])
        rows.append(tuple(row))


@pytest.mark.parametrize("explanations", [False, True])
def test_binary_copy_data_holds_every_value(explanations):
    values = ReturnValues(explanations=explanations)
    rows = [(1, 2, 3.5, "", None), (1, 3, None, "Lựa chọn A", "giải trình"),
            (2 ** 40, 7, -0.0, "", ""), (5, 6, None, "", "tab\tnew\nline"),
            (9, 9, 1e-300, "x" * 3000, None), (10, 11, None, "", None), (12, 13, 7.0, "", "é")]
    for row in rows:
        values.append(*row)
    data = b"".join(bulk_answers.binary_copy_chunks(values, chunk_rows=3))
    expected = [(u, i, n, t, e if explanations else None) for u, i, n, t, e in rows]
    assert sorted(decode_copy(data), key=repr) == sorted(expected, key=repr)  # any order
    assert decode_copy(b"".join(bulk_answers.binary_copy_chunks(ReturnValues()))) == []


# --- the fast path of the wide reader ---------------------------------------------------------

def read(path, period, *, slow: bool, monkeypatch):
    from assessments.models import Unit
    from assessments.services import _indicator_infos
    from assessments.workbooks.returns import UnitInfo, read_returns

    if slow:  # every cell through _Reader.value
        original = returns_module._column_plans

        def general(columns, sheet):
            plans = original(columns, sheet)
            for plan in plans:
                plan.kind = returns_module._OTHER
            return plans

        monkeypatch.setattr(returns_module, "_column_plans", general)
    units = {u.code: UnitInfo(u.id, u.code, u.name, u.cohort.code)
             for u in Unit.objects.select_related("cohort")}
    problems = Problems()
    parsed = read_returns(open_workbook(path), problems, units=units,
                          indicators=_indicator_infos(period.framework),
                          cohorts=set(period.cohorts.values_list("code", flat=True)))
    monkeypatch.undo()
    values = [(v.unit.code, v.indicator.code, v.number, v.text, v.explanation)
              for v in parsed.values]
    return values, [str(e) for e in problems.errors], [str(w) for w in problems.warnings]


def test_the_fast_path_reads_every_cell_as_the_general_one(period, tmp_path, monkeypatch):
    header = [*HEADER, "diem_huyen", "mt_per_cb"]
    rows = [
        *(list(r) + [None, None] for r in FIRST),
        ["SO-TTTT", None, 1, 2, "Có", 0.5, "a", "t", None, None],  # a unit twice
        ["H-B", "Huyện B", -1, 2.5, "maybe", 101, "Z", 7, 11, 3],  # out of range, bad words
        ["P-X", None, 1, 2, 1, 50, "A", None, None, None],  # a unit outside the period
        ["X-404", None, float("inf"), True, 2.0, "50%", 3, None, "5", None],
        ["SO-GD", None, "", " ", "KHÔNG", "", "c", None, 4, None],  # not for depts: diem_huyen
    ]
    path = write_xlsx(tmp_path / "mixed.xlsx", {"returns": [header] + rows},
                      formats={("returns", "F3"): "0%"})
    fast = read(path, period, slow=False, monkeypatch=monkeypatch)
    general = read(path, period, slow=True, monkeypatch=monkeypatch)
    assert fast == general
    values, errors, warnings = fast
    assert any("D7" in e for e in errors) and any("diem_huyen" in e for e in errors)
    assert ("SO-GD", "ty_le_dvc", 45.5, "", None) not in values  # F3 is a percent cell
    assert ("SO-GD", "ty_le_dvc", 4550.0, "", None) not in values
    assert not any(math.isnan(v[2]) for v in values if v[2] is not None)


def test_the_postgresql_staging_tables_do_not_outlive_the_import(period, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    path = write_xlsx(tmp_path / "r.xlsx", wide(FIRST))
    import_returns(period=period, source=path, dry_run=True)
    import_returns(period=period, source=path)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname IN (%s, %s) "
                       "AND relpersistence = 't'", [bulk_answers.STAGE, bulk_answers.DIFF])
        assert cursor.fetchone()[0] == 0
