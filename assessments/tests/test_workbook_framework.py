"""import_framework / export_framework / copy_framework: the framework workbook."""

import openpyxl
import pytest
from django.core.exceptions import ValidationError

from assessments.models import (
    Answer,
    Band,
    Framework,
    ImportRecord,
    Indicator,
    Period,
    Submission,
)
from assessments.selectors import framework_spec
from assessments.services import copy_framework, export_framework, import_framework
from assessments.workbooks import WorkbookError

from .conftest import db_state
from .factories import framework_sheets, set_cell, write_csv, write_xlsx

pytestmark = pytest.mark.django_db


def test_the_sample_framework_is_stored_as_its_workbook_says(framework):
    assert framework.code == "MIC-2017"
    assert framework.description == "Đánh giá mức độ ứng dụng CNTT"
    spec = framework_spec(framework)
    assert [(g.code, g.parent, g.weight, g.max_points) for g in spec.groups] == [
        ("HT", "", 1.0, None), ("HT1", "HT", 1.0, 20.0), ("UD", "", 2.0, None)]
    ty_le = next(i for i in spec.indicators if i.code == "ty_le_dvc")
    assert (ty_le.value_type, ty_le.rule, dict(ty_le.params), ty_le.min, ty_le.max) == (
        "percent", "goalpost", {"lo": "0", "hi": "100"}, 0.0, 100.0)
    assert next(i for i in spec.indicators if i.code == "diem_huyen").applies_to == ("districts",)
    assert next(i for i in spec.indicators if i.code == "lan").evidence is True
    assert [i.order for i in spec.indicators] == list(range(1, 9))  # row order
    assert [(b.label, b.min_score) for b in spec.bands] == [
        ("Tốt", 80.0), ("Khá", 65.0), ("Trung bình", 50.0), ("Yếu", 0.0)]
    record = ImportRecord.objects.get(kind="framework")
    assert record.summary["counts"] == {"code": "MIC-2017", "groups": 3, "indicators": 8,
                                        "bands": 4}


def test_export_then_import_with_replace_gives_an_identical_framework(framework, tmp_path):
    Band.objects.filter(framework=framework, label="Tốt").update(color="#2e7d32")
    Indicator.objects.filter(framework=framework, code="ghi_chu").update(
        guidance="=SUM(A1) là văn bản, không phải công thức", order=20)
    before = framework_spec(framework)
    path = tmp_path / "export.xlsx"
    export_framework(framework=framework, destination=path)
    replaced = import_framework(source=path, replace=True)
    assert replaced.pk == framework.pk
    assert framework_spec(replaced) == before
    assert replaced.description == "Đánh giá mức độ ứng dụng CNTT"
    assert Band.objects.get(framework=replaced, label="Tốt").color == "#2e7d32"


def test_export_then_import_in_an_empty_database_gives_an_identical_framework(
        framework, tmp_path):
    before = framework_spec(framework)
    path = tmp_path / "export.xlsx"
    export_framework(framework=framework, destination=path)
    Framework.objects.all().delete()
    assert framework_spec(import_framework(source=path)) == before


def test_export_writes_text_starting_with_equals_as_text_not_a_formula(framework, tmp_path):
    Indicator.objects.filter(framework=framework, code="ghi_chu").update(guidance="=1+1")
    path = tmp_path / "export.xlsx"
    export_framework(framework=framework, destination=path)
    sheet = openpyxl.load_workbook(path)["indicators"]
    cell = next(row[16] for row in sheet.iter_rows(min_row=2) if row[0].value == "ghi_chu")
    assert (cell.value, cell.data_type) == ("=1+1", "s")


def refused(tmp_path, sheets) -> list[str]:
    before = db_state()
    with pytest.raises(WorkbookError) as exc:
        import_framework(source=write_xlsx(tmp_path / "bad.xlsx", sheets))
    assert db_state() == before
    return [str(e) for e in exc.value.errors]


def indicators(code, column, value):
    return framework_sheets(indicators=set_cell(framework_sheets()["indicators"], code, column,
                                                value))


def groups(code, column, value):
    return framework_sheets(groups=set_cell(framework_sheets()["groups"], code, column, value))


@pytest.mark.parametrize("sheets, expected", [
    (groups("HT", "parent", "HT1"),
     "Sheet groups, ô C2 (HT): các nhóm tiêu chí tạo thành vòng lặp: HT -> HT1 -> HT."),
    (groups("HT", "parent", "NOPE"),
     "Sheet groups, ô C2 (HT): nhóm cha 'NOPE' không có trong danh sách nhóm tiêu chí."),
    (framework_sheets(groups=framework_sheets()["groups"] + [["RONG", "Nhóm rỗng"]]),
     "Sheet groups, ô A5 (RONG): nhóm 'RONG' không có nhóm con hay tiêu chí nào."),
    (groups("UD", "weight", 0), "Sheet groups, ô E4 (UD): weight phải là số lớn hơn 0"),
    (groups("UD", "weight", "nặng"), "Sheet groups, ô E4 (UD): giá trị 'nặng' không phải là số."),
    (groups("UD", "aggregation", "median"),
     "Sheet groups, ô D4 (UD): giá trị 'median' không nằm trong các giá trị cho phép"),
    (indicators("may_tinh", "rule", "magic"), "Sheet indicators, ô F2 (may_tinh): giá trị "
                                              "'magic' không nằm trong các giá trị cho phép"),
    (indicators("may_tinh", "value_type", "money"),
     "Sheet indicators, ô D2 (may_tinh): giá trị 'money' không nằm trong"),
    (indicators("may_tinh", "group", "XX"),
     "Sheet indicators, ô B2 (may_tinh): nhóm 'XX' không có trong danh sách nhóm tiêu chí."),
    (indicators("mt_per_cb", "formula", "may_tinh / nhan_vien"),
     "Sheet indicators, ô P4 (mt_per_cb): công thức dùng tiêu chí không có trong bộ tiêu chí: "
     "'nhan_vien'."),
    (indicators("mt_per_cb", "formula", "mt_per_cb + 1"),
     "Sheet indicators, ô P4 (mt_per_cb): công thức dùng chính tiêu chí của nó."),
    (indicators("mt_per_cb", "formula", "may_tinh / (can_bo"),
     "Sheet indicators, ô P4 (mt_per_cb): công thức: cần ')' nhưng gặp cuối công thức (cột "
     "19)."),
    (indicators("lan", "weight", 0), "Sheet indicators, ô I5 (lan): weight phải là số lớn hơn "
                                     "0"),
    (indicators("lan", "weight", -1), "Sheet indicators, ô I5 (lan): weight phải là số lớn hơn "
                                      "0"),
    (indicators("lan", "weight", "abc"), "Sheet indicators, ô I5 (lan): giá trị 'abc' không "
                                         "phải là số."),
    (indicators("lan", "inverse", "maybe"), "Sheet indicators, ô J5 (lan): giá trị 'maybe' "
                                            "không phải là có/không"),
    (indicators("lan", "min", "6.477"), "Sheet indicators, ô N5 (lan): giá trị '6.477' không "
                                        "rõ nghĩa"),
    (indicators("ty_le_dvc", "params", "lo=0;hi"),
     "Sheet indicators, ô G6 (ty_le_dvc): tham số không hợp lệ: phần 2 ('hi') không có dạng "
     "khoá=giá trị."),
    (indicators("mt_per_cb", "params", "target=abc"),
     "Sheet indicators, ô G4 (mt_per_cb): target phải là số lớn hơn 0"),
    (indicators("ty_le_dvc", "max", -5), "Sheet indicators, ô O6 (ty_le_dvc): min (0.0) lớn "
                                         "hơn max (-5.0)."),
    (framework_sheets(indicators=framework_sheets()["indicators"] + [
        ["lan", "HT", "Lặp mã", "boolean", None, "boolean"]]),
     "Sheet indicators, ô A10 (lan): mã 'lan' đã được dùng cho một tiêu chí khác."),
    (framework_sheets(indicators=framework_sheets()["indicators"] + [
        ["HT", "HT", "Trùng mã nhóm", "boolean", None, "boolean"]]),
     "Sheet indicators, ô A10 (HT): mã 'HT' đã được dùng cho một nhóm tiêu chí."),
    (framework_sheets(bands=framework_sheets()["bands"] + [["Xuất sắc", 80]]),
     "Sheet bands, ô B6 (Xuất sắc): hai xếp loại 'Tốt' và 'Xuất sắc' có cùng điểm tối thiểu"),
    (framework_sheets(bands=framework_sheets()["bands"] + [["Xuất sắc", None]]),
     "Sheet bands, ô B6 (Xuất sắc): thiếu điểm tối thiểu."),
    (framework_sheets(settings=framework_sheets()["settings"] + [["scal", 100]]),
     "Sheet settings, ô A11 (scal): khoá 'scal' không có trong danh sách"),
    (framework_sheets(settings=set_cell(framework_sheets()["settings"], "decimals", "value", 2.5)),
     "Sheet settings, ô B7 (decimals): giá trị '2.5' không phải là số nguyên."),
    (framework_sheets(settings=set_cell(framework_sheets()["settings"], "decimals", "value", 9)),
     "Sheet settings, ô B7 (decimals): decimals phải là số nguyên từ 0 đến 6"),
    (framework_sheets(settings=set_cell(framework_sheets()["settings"], "ties", "value", "x")),
     "Sheet settings, ô B9 (ties): giá trị 'x' không nằm trong"),
    (framework_sheets(settings=set_cell(framework_sheets()["settings"], "code", "value",
                                        "MIC 2017")),
     "Sheet settings, ô B2 (code): mã bộ tiêu chí 'MIC 2017' chỉ được gồm"),
    (framework_sheets(settings=[r for r in framework_sheets()["settings"] if r[0] != "code"]),
     "Sheet settings (code): thiếu 'code' của bộ tiêu chí."),
    (framework_sheets(indicators=[r[:3] for r in framework_sheets()["indicators"]]),
     "Sheet indicators, ô 1:1: dòng tiêu đề (dòng 1) thiếu cột bắt buộc: value_type, rule."),
])
def test_each_framework_error_names_its_sheet_and_cell_and_writes_nothing(
        db, tmp_path, sheets, expected):
    errors = refused(tmp_path, sheets)
    assert len(errors) == 1, errors
    assert errors[0].startswith(expected), errors


def test_all_errors_of_a_framework_are_reported_together(db, tmp_path):
    sheets = framework_sheets()
    set_cell(sheets["indicators"], "may_tinh", "rule", "magic")
    set_cell(sheets["indicators"], "lan", "weight", 0)
    set_cell(sheets["groups"], "UD", "weight", "x")
    errors = refused(tmp_path, sheets)
    assert [e.split(":")[0] for e in errors] == [
        "Sheet groups, ô E4 (UD)", "Sheet indicators, ô F2 (may_tinh)",
        "Sheet indicators, ô I5 (lan)"]


def test_a_framework_without_a_scored_indicator_is_refused(db, tmp_path):
    rows = framework_sheets()["indicators"]
    rule = rows[0].index("rule")
    for row in rows[1:]:
        row[rule] = "none"
        row[rows[0].index("params")] = None
        row[rows[0].index("formula")] = None
        row[rows[0].index("value_type")] = "number"
    errors = refused(tmp_path, framework_sheets(indicators=rows))
    assert errors == ["Sheet indicators (MIC-2017): bộ tiêu chí không có tiêu chí nào được tính "
                      "điểm (mọi tiêu chí đều có rule 'none')."]


def test_a_missing_sheet_is_an_error(db, tmp_path):
    sheets = framework_sheets()
    del sheets["groups"]
    assert refused(tmp_path, sheets) == [
        "Sheet groups: tệp không có sheet 'groups' (các sheet có trong tệp: settings, "
        "indicators, bands)."]


def test_bands_are_optional(db, tmp_path):
    sheets = framework_sheets()
    del sheets["bands"]
    framework = import_framework(source=write_xlsx(tmp_path / "f.xlsx", sheets))
    assert framework.bands.count() == 0


def test_a_csv_file_cannot_hold_a_framework(db, tmp_path):
    before = db_state()
    with pytest.raises(WorkbookError, match="không dùng CSV"):
        import_framework(source=write_csv(tmp_path / "f.csv", FRAMEWORK_ROWS))
    assert db_state() == before


FRAMEWORK_ROWS = [["key", "value"], ["code", "X"]]


def test_an_existing_code_needs_replace(framework, tmp_path):
    errors = refused(tmp_path, framework_sheets())
    assert errors == ["Sheet settings, ô B2 (MIC-2017): đã có bộ tiêu chí mã MIC-2017; dùng "
                      "--replace để thay thế."]


def test_replace_rebuilds_the_tree_in_the_same_framework_row(framework, period, tmp_path):
    sheets = framework_sheets()
    set_cell(sheets["settings"], "name", "value", "Bộ chỉ số ICT 2017 (sửa)")
    set_cell(sheets["indicators"], "lan", "max_points", 4)
    replaced = import_framework(source=write_xlsx(tmp_path / "f.xlsx", sheets), replace=True)
    assert replaced.pk == framework.pk
    assert Period.objects.get(code="2017").framework_id == framework.pk
    assert replaced.name == "Bộ chỉ số ICT 2017 (sửa)"
    assert Indicator.objects.get(framework=replaced, code="lan").max_points == 4
    assert Indicator.objects.filter(framework=replaced).count() == 8


def test_replace_is_refused_when_a_published_period_uses_the_framework(period, tmp_path):
    Period.objects.filter(pk=period.pk).update(status=Period.Status.PUBLISHED)
    before = db_state()
    with pytest.raises(WorkbookError) as exc:
        import_framework(source=write_xlsx(tmp_path / "f.xlsx", framework_sheets()),
                         replace=True)
    assert db_state() == before
    assert [str(e) for e in exc.value.errors] == [
        "Sheet settings, ô B2 (MIC-2017): bộ tiêu chí MIC-2017 đã được dùng cho một kỳ đã công "
        "bố: không thể thay thế. Hãy sao chép để làm bộ tiêu chí mới."]


def test_replace_is_refused_when_answers_refer_to_the_indicators(period, province, tmp_path):
    submission = Submission.objects.create(period=period, unit=province["H-A"])
    Answer.objects.create(submission=submission, value_number=3,
                          indicator=Indicator.objects.get(code="may_tinh"))
    before = db_state()
    with pytest.raises(WorkbookError, match="đã có câu trả lời"):
        import_framework(source=write_xlsx(tmp_path / "f.xlsx", framework_sheets()),
                         replace=True)
    assert db_state() == before


def test_unknown_cohorts_in_applies_to_are_a_warning(db, tmp_path):
    framework = import_framework(source=write_xlsx(tmp_path / "f.xlsx", framework_sheets()))
    assert [str(w) for w in framework.import_summary.warnings] == [
        "Sheet indicators, ô K9 (diem_huyen): nhóm đơn vị districts chưa có trong hệ thống."]


def test_copy_for_a_new_year_copies_everything_and_records_the_source(framework):
    Band.objects.filter(framework=framework, label="Khá").update(color="#1565c0")
    copy = copy_framework(framework=framework, code="MIC-2018", name="Bộ chỉ số ICT 2018")
    assert (copy.code, copy.name, copy.copied_from_id) == ("MIC-2018", "Bộ chỉ số ICT 2018",
                                                           framework.pk)
    original, copied = framework_spec(framework), framework_spec(copy)
    assert copied.groups == original.groups
    assert copied.indicators == original.indicators
    assert copied.bands == original.bands
    assert (copied.scale, copied.decimals, copied.missing) == (100.0, 2, "zero")
    assert Band.objects.get(framework=copy, label="Khá").color == "#1565c0"
    assert copy.description == framework.description


def test_copy_refuses_an_existing_or_malformed_code(framework):
    with pytest.raises(ValidationError, match="Đã có bộ tiêu chí mã MIC-2017"):
        copy_framework(framework=framework, code="MIC-2017", name="x")
    with pytest.raises(ValidationError):
        copy_framework(framework=framework, code="MIC 2018", name="x")
    assert Framework.objects.count() == 1


def test_a_missing_sheet_does_not_hide_the_errors_of_the_others(db, tmp_path):
    sheets = framework_sheets()
    del sheets["groups"]
    set_cell(sheets["indicators"], "lan", "required", "hmm")
    assert refused(tmp_path, sheets) == [
        "Sheet groups: tệp không có sheet 'groups' (các sheet có trong tệp: settings, "
        "indicators, bands).",
        "Sheet indicators, ô L5 (lan): giá trị 'hmm' không phải là có/không (có, không, yes, no, "
        "true, false, 1, 0, x).",
    ]
