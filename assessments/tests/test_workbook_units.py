"""import_units: cohorts and units created or updated by code, never deleted."""

import pytest

from assessments.models import Cohort, ImportRecord, Unit
from assessments.services import import_units
from assessments.workbooks import WorkbookError

from .conftest import db_state
from .factories import write_csv, write_xlsx

pytestmark = pytest.mark.django_db

UNITS = [
    ["code", "name", "cohort", "parent", "active"],
    ["SO-TTTT", "Sở Thông tin và Truyền thông", "depts", None, "yes"],
    ["PHONG-1", "Phòng CNTT của Sở", "depts", "SO-TTTT", "có"],
    ["H-A", "Huyện A", "districts", None, None],
    ["H-CU", "Huyện cũ", "districts", None, "không"],
]
COHORTS = [["code", "name"], ["depts", "Sở, ban, ngành"], ["districts", "Huyện, thị xã"]]


def units_of_db():
    return sorted(Unit.objects.values_list("code", "name", "cohort__code", "parent__code",
                                           "active"))


def test_units_and_cohorts_are_created_with_parents_from_the_same_file(tmp_path):
    path = write_xlsx(tmp_path / "units.xlsx", {"cohorts": COHORTS, "units": UNITS})
    summary = import_units(source=path)
    assert units_of_db() == [
        ("H-A", "Huyện A", "districts", None, True),
        ("H-CU", "Huyện cũ", "districts", None, False),
        ("PHONG-1", "Phòng CNTT của Sở", "depts", "SO-TTTT", True),
        ("SO-TTTT", "Sở Thông tin và Truyền thông", "depts", None, True),
    ]
    assert sorted(Cohort.objects.values_list("code", "name")) == [
        ("depts", "Sở, ban, ngành"), ("districts", "Huyện, thị xã")]
    assert summary.counts == {"cohorts_created": 2, "cohorts_updated": 0,
                              "cohorts_unchanged": 0, "units_created": 4, "units_updated": 0,
                              "units_unchanged": 0}
    record = ImportRecord.objects.get()
    assert (record.kind, record.file_name, record.sha256) == ("units", "units.xlsx",
                                                              summary.sha256)
    assert record.summary["counts"]["units_created"] == 4


def test_reimport_updates_by_code_and_never_deletes(tmp_path):
    import_units(source=write_xlsx(tmp_path / "a.xlsx", {"cohorts": COHORTS, "units": UNITS}))
    changed = [UNITS[0], ["H-A", "Huyện A (mới)", "districts", "SO-TTTT", "no"],
               ["SO-TTTT", "Sở Thông tin và Truyền thông", "depts", None, "yes"]]
    summary = import_units(source=write_xlsx(tmp_path / "b.xlsx", {"units": changed}))
    assert summary.counts["units_updated"] == 1
    assert summary.counts["units_unchanged"] == 1
    assert summary.counts["units_created"] == 0
    assert ("H-A", "Huyện A (mới)", "districts", "SO-TTTT", False) in units_of_db()
    assert Unit.objects.count() == 4  # PHONG-1 and H-CU are still there


def test_a_new_cohort_code_creates_the_cohort(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", {"units": [["code", "name", "cohort"],
                                                       ["X-1", "Xã 1", "communes"]]})
    import_units(source=path)
    assert Cohort.objects.get(code="communes").name == "communes"
    assert Unit.objects.get(code="X-1").cohort.code == "communes"


@pytest.mark.parametrize("bom", [False, True])
def test_a_csv_file_is_the_units_sheet(tmp_path, bom):
    path = write_csv(tmp_path / "units.csv", UNITS, bom=bom)
    import_units(source=path)
    assert Unit.objects.get(code="PHONG-1").parent.code == "SO-TTTT"
    assert Unit.objects.get(code="H-CU").active is False


def test_dry_run_reports_and_writes_nothing(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", {"units": UNITS})
    summary = import_units(source=path, dry_run=True)
    assert summary.counts["units_created"] == 4 and summary.dry_run
    assert Unit.objects.count() == 0 and ImportRecord.objects.count() == 0


def refused(tmp_path, sheets, province_state=None):
    """Import ``sheets`` expecting refusal; the database must not change. Error lines."""
    before = db_state()
    with pytest.raises(WorkbookError) as exc:
        import_units(source=write_xlsx(tmp_path / "bad.xlsx", sheets))
    assert db_state() == before
    return [str(e) for e in exc.value.errors]


@pytest.mark.parametrize("row, expected", [
    (["", "Không mã", "depts", None, None], "Sheet units, ô A3: thiếu mã đơn vị."),
    (["SỞ 1", "Mã sai", "depts", None, None],
     "Sheet units, ô A3 (SỞ 1): mã đơn vị 'SỞ 1' chỉ được gồm chữ cái, chữ số, '-' và '_' "
     "(tối đa 40 ký tự)."),
    (["U2", None, "depts", None, None], "Sheet units, ô B3 (U2): thiếu tên."),
    (["U2", "Đơn vị 2", None, None, None], "Sheet units, ô C3 (U2): thiếu mã nhóm đơn vị."),
    (["U2", "Đơn vị 2", "depts", None, "maybe"],
     "Sheet units, ô E3 (U2): giá trị 'maybe' không phải là có/không (có, không, yes, no, true, "
     "false, 1, 0, x)."),
    (["U2", "Đơn vị 2", "depts", "NOPE", None],
     "Sheet units, ô D3 (U2): đơn vị cấp trên 'NOPE' không có trong tệp hay trong hệ thống."),
    (["U2", "Đơn vị 2", "depts", "U2", None],
     "Sheet units, ô D3 (U2): đơn vị không thể là cấp trên của chính nó."),
    (["U1", "Lặp lại", "depts", None, None], "Sheet units, ô A3 (U1): mã 'U1' đã có ở dòng 2."),
])
def test_each_unit_error_names_its_cell_and_writes_nothing(tmp_path, row, expected):
    header = ["code", "name", "cohort", "parent", "active"]
    valid = ["U1", "Đơn vị 1", "depts", None, None]  # a valid row before the invalid one
    assert refused(tmp_path, {"units": [header, valid, row]}) == [expected]


def test_a_parent_cycle_through_the_database_is_refused(tmp_path, province):
    Unit.objects.filter(code="H-B").update(parent=Unit.objects.get(code="H-A"))
    errors = refused(tmp_path, {"units": [["code", "name", "cohort", "parent"],
                                          ["H-A", "Huyện A", "districts", "H-B"]]})
    assert errors == ["Sheet units, ô D2 (H-A): đơn vị cấp trên tạo thành vòng lặp: "
                      "H-A → H-B → H-A."]


def test_every_error_of_the_file_is_reported_at_once(tmp_path):
    errors = refused(tmp_path, {
        "cohorts": [["code", "name"], ["c 1", "x"], ["c2", None]],
        "units": [["code", "name", "cohort"], ["U1", None, "c2"], ["U2", "Hai", "bad code"]],
    })
    assert errors == [
        "Sheet cohorts, ô A2 (c 1): mã nhóm đơn vị 'c 1' chỉ được gồm chữ cái, chữ số, '-' và "
        "'_' (tối đa 40 ký tự).",
        "Sheet cohorts, ô B3 (c2): thiếu tên.",
        "Sheet units, ô B2 (U1): thiếu tên.",
        "Sheet units, ô C3 (U2): mã nhóm đơn vị 'bad code' chỉ được gồm chữ cái, chữ số, '-' "
        "và '_' (tối đa 40 ký tự).",
    ]


def test_a_missing_required_column_is_reported(tmp_path):
    errors = refused(tmp_path, {"units": [["code", "name"], ["U1", "Một"]]})
    assert errors == ["Sheet units, ô 1:1: dòng tiêu đề (dòng 1) thiếu cột bắt buộc: cohort."]


def test_a_file_without_a_units_sheet_is_refused(tmp_path):
    errors = refused(tmp_path, {"don_vi": [["code", "name", "cohort"]]})
    assert errors == ["Sheet units: tệp không có sheet 'units' (các sheet có trong tệp: "
                      "don_vi)."]
