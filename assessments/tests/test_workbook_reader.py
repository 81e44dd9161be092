"""Opening files safely and reading sheets with Excel row numbers and cell names."""

import io
import zipfile

import pytest

from assessments.workbooks import Problems, WorkbookError, open_workbook, read_table
from assessments.workbooks.reader import INVALID
from assessments.workbooks.values import parse_number

from .factories import rewrite_member, set_cached_values, write_csv, write_xlsx


def only_error(exc_info) -> str:
    errors = exc_info.value.errors
    assert len(errors) == 1, errors
    return str(errors[0])


def test_sheet_rows_keep_their_excel_numbers_and_columns(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", {"Data": [[], [None, "x", 2.5]]})
    book = open_workbook(path)
    sheet = book.sheet("data")  # names match regardless of case
    assert sheet.name == "Data"
    assert sheet.raw(2, 1) == "x"
    assert sheet.raw(2, 2) == 2.5
    assert sheet.raw(1, 0) == ""
    assert sheet.raw(99, 0) is None
    assert book.kind == "xlsx" and len(book.sha256) == 64 and book.file_name == "a.xlsx"


def test_a_missing_sheet_is_named_with_the_sheets_there_are(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", {"units": [["code"]]})
    with pytest.raises(WorkbookError) as exc:
        open_workbook(path).sheet("cohortz")
    assert "cohortz" in only_error(exc) and "units" in only_error(exc)


def test_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_bytes(b"just some text, not a spreadsheet")
    with pytest.raises(WorkbookError) as exc:
        open_workbook(path)
    assert "không phải là bảng tính" in only_error(exc)


def test_a_zip_that_is_not_an_xlsx_is_refused(tmp_path):
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(WorkbookError) as exc:
        open_workbook(path)
    assert "không phải bảng tính .xlsx" in only_error(exc)


def test_a_damaged_zip_is_refused(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", {"units": [["code"]]})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(WorkbookError) as exc:
        open_workbook(path)
    assert "hỏng" in only_error(exc)


def test_old_xls_files_are_refused_with_advice(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    with pytest.raises(WorkbookError) as exc:
        open_workbook(path)
    assert ".xls" in only_error(exc) and ".xlsx" in only_error(exc)


def test_a_zip_bomb_is_refused_before_parsing(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (20 * 1024 * 1024))
    assert path.stat().st_size < 100_000  # 20 MiB squeezed into a few KB
    with pytest.raises(WorkbookError) as exc:
        open_workbook(path)
    assert "bom nén" in only_error(exc) and "sheet1.xml" in only_error(exc)


def test_total_uncompressed_size_is_limited(tmp_path, settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 2000
    path = write_xlsx(tmp_path / "a.xlsx", {"units": [["code"], ["x" * 3000]]})
    with pytest.raises(WorkbookError) as exc:
        open_workbook(path)
    assert "vượt giới hạn" in only_error(exc)


def test_ordinary_compression_passes_the_ratio_check(tmp_path):
    rows = [["unit_code"] + [f"i{n}" for n in range(40)]]
    rows += [[f"U{u}"] + [u * n * 1.5 for n in range(40)] for u in range(2000)]
    path = write_xlsx(tmp_path / "big.xlsx", {"returns": rows})
    sheet = open_workbook(path).first_sheet()
    assert sheet.raw(2001, 1) == 0.0 and sheet.raw(2001, 40) == 1999 * 39 * 1.5


def test_file_size_is_limited(tmp_path, settings):
    settings.IMPORT_MAX_FILE_BYTES = 100
    path = write_csv(tmp_path / "a.csv", [["code"], ["x" * 200]])
    with pytest.raises(WorkbookError) as exc:
        open_workbook(path)
    assert "quá lớn" in only_error(exc)
    with pytest.raises(WorkbookError):
        open_workbook(io.BytesIO(path.read_bytes()), file_name="a.csv")


def test_too_many_cells_are_refused(tmp_path, settings):
    settings.IMPORT_MAX_CELLS = 50
    path = write_xlsx(tmp_path / "a.xlsx", {"units": [["a"] * 10] * 6})
    with pytest.raises(WorkbookError) as exc:
        open_workbook(path).sheet("units")
    assert "quá nhiều ô" in only_error(exc)


def test_macro_workbooks_are_refused_by_name_and_by_content(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsm", {"units": [["code"]]})
    with pytest.raises(WorkbookError) as exc:
        open_workbook(path)
    assert "macro" in only_error(exc)
    path = write_xlsx(tmp_path / "b.xlsx", {"units": [["code"]]})
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\0" * 100)
    with pytest.raises(WorkbookError) as exc:
        open_workbook(path)
    assert "macro" in only_error(exc)


def test_formula_cells_count_by_their_cached_value(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", {"s": [["a", "b"], [2, "=A2*21"]]})
    set_cached_values(path, {"B2": "42"})
    sheet = open_workbook(path).first_sheet()
    assert sheet.raw(2, 1) == 42.0


def test_a_formula_without_a_computed_value_is_an_error_at_its_cell(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", {"s": [["code", "value"], ["U1", "=1+1"]]})
    sheet = open_workbook(path).first_sheet()
    problems = Problems()
    table = read_table(sheet, problems, required=["code", "value"])
    row = next(iter(table.rows()))
    assert row.value("value", parse_number, code="U1") is INVALID
    assert [str(e) for e in problems.errors] == [
        "Sheet s, ô B2 (U1): ô có công thức nhưng chưa có giá trị đã tính; hãy mở tệp bằng "
        "Excel, tính lại (F9) và lưu."]


def test_an_excel_error_value_is_an_error_at_its_cell(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", {"s": [["code", "value"], ["U1", 1]]})
    rewrite_member(path, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(
        b'<c r="B2" t="n"><v>1</v></c>', b'<c r="B2" t="e"><f>1/0</f><v>#DIV/0!</v></c>'))
    sheet = open_workbook(path).first_sheet()
    problems = Problems()
    row = next(iter(read_table(sheet, problems, required=["code", "value"]).rows()))
    assert row.value("value", parse_number, code="U1") is INVALID
    assert "B2" in str(problems.errors[0]) and "#DIV/0!" in str(problems.errors[0])


def test_percent_formatted_cells_are_known(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", {"s": [["a", "b", "c"], [0.97, 0.5, 0.25]]},
                      formats={("s", "A2"): "0%", ("s", "C2"): "0.00%"})
    sheet = open_workbook(path).first_sheet()
    assert sheet.percent_cells == {(2, 0), (2, 2)}


def test_custom_percent_formats_are_known(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", {"s": [["a", "b"], [0.97, 5]]},
                      formats={("s", "A2"): "0.0%;[Red]-0.0%", ("s", "B2"): '"%"0'})
    sheet = open_workbook(path).first_sheet()
    assert sheet.percent_cells == {(2, 0)}  # a quoted "%" is not a percent format


@pytest.mark.parametrize("bom", [False, True])
def test_csv_in_utf8_with_or_without_bom(tmp_path, bom):
    path = write_csv(tmp_path / "units.csv", [["code", "name"], ["H-A", "Huyện Ấ"]], bom=bom)
    book = open_workbook(path)
    assert book.is_csv
    sheet = book.sheet("units")
    assert sheet.rows == [["code", "name"], ["H-A", "Huyện Ấ"]]


def test_csv_in_another_encoding_is_refused(tmp_path):
    path = tmp_path / "units.csv"
    path.write_bytes("code,name\nH-A,Huyện A\n".encode("utf-16"))
    with pytest.raises(WorkbookError) as exc:
        open_workbook(path)
    assert "UTF-8" in only_error(exc)


def test_headers_match_regardless_of_case_and_spaces_below_title_rows(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", {"s": [
        ["Danh sách đơn vị"], [], [" CODE ", "Name", "Ghi chú"], ["U1", "Một", "?"],
        [None, None, None], ["# dòng chú thích", None], ["U2", "Hai"]]})
    problems = Problems()
    table = read_table(open_workbook(path).first_sheet(), problems, required=["code", "name"])
    assert table.header_number == 3
    assert [(r.number, r.raw("code"), r.cell("name")) for r in table.rows()] == [
        (4, "U1", "B4"), (7, "U2", "B7")]
    assert not problems.errors
    assert [str(w) for w in problems.warnings] == [
        "Sheet s, ô C3: cột 'ghi chú' không được dùng và bị bỏ qua."]


def test_a_missing_or_repeated_column_names_the_sheet_and_header_row(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", {"units": [["code", "nam", "code"], ["U1", "x"]]})
    problems = Problems()
    assert read_table(open_workbook(path).first_sheet(), problems,
                      required=["code", "name"]) is None
    assert [str(e) for e in problems.errors] == [
        "Sheet units, ô C1: cột 'code' xuất hiện hai lần trong dòng tiêu đề.",
        "Sheet units, ô 1:1: dòng tiêu đề (dòng 1) thiếu cột bắt buộc: name.",
    ]


def test_workbook_error_lists_every_problem_on_its_own_line():
    from assessments.workbooks import CellError

    error = WorkbookError([CellError("units", "B2", "U1", "a"), CellError("units", "B3", "", "b")],
                          [CellError("units", "", "", "c")], file_name="u.xlsx")
    assert str(error).splitlines() == [
        "Tệp u.xlsx có 2 lỗi:",
        "  - Sheet units, ô B2 (U1): a",
        "  - Sheet units, ô B3: b",
        "Cảnh báo:",
        "  - Sheet units: c",
    ]
    assert error.messages == ["Sheet units, ô B2 (U1): a", "Sheet units, ô B3: b"]


def test_cells_without_references_are_placed_by_the_exact_scan(tmp_path):
    # Excel always writes r="B2"; other writers may leave it out, which the quick byte scan
    # cannot place: the sheet is then walked with iterparse.
    import re

    path = write_xlsx(tmp_path / "a.xlsx", {"s": [["a", "b", "c"], ["x", "=1+1", 0.5]]},
                      formats={("s", "C2"): "0%"})
    rewrite_member(path, "xl/worksheets/sheet1.xml",
                   lambda xml: re.sub(rb'(<c) r="[A-Z]+\d+"', rb"\1", xml))
    assert b'r="B2"' not in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    sheet = open_workbook(path).first_sheet()
    assert sheet.percent_cells == {(2, 2)}
    assert set(sheet.bad_cells) == {(2, 1)}
    assert sheet.raw(2, 2) == 0.5
