"""export_results: the workbooks.md "Results" layout in CSV, XLSX and JSON."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from assessments.models import Unit
from rankings.selectors import results_rows
from rankings.services import compute_snapshot, export_results, publish_snapshot

from .conftest import FULL

pytestmark = pytest.mark.django_db

HEADER = ["cohort", "unit_code", "unit_name", "score", "rank", "previous_rank", "rank_change",
          "band",
          "HT_score", "HT_rank", "HT_rank_change",
          "UD_score", "UD_rank", "UD_rank_change",
          "UD_DVC_score", "UD_DVC_rank", "UD_DVC_rank_change",
          "UD_VB_score", "UD_VB_rank", "UD_VB_rank_change"]
#: Units in the export's order: by cohort, ranked by rank, then not assessed by name.
ORDER = ["STTTT", "STC", "SXD", "SNV", "SYT", "TAMKY", "DAILOC"]


@pytest.fixture
def snapshot(period_2017):
    return publish_snapshot(snapshot=compute_snapshot(period=period_2017))


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as file:
        return list(csv.reader(file))


def test_csv_has_the_results_layout_one_row_per_unit(snapshot, tmp_path):
    path = export_results(snapshot=snapshot, destination=tmp_path / "ket-qua.csv")
    rows = read_csv(path)
    assert rows[0] == HEADER
    assert [row[1] for row in rows[1:]] == ORDER
    by_code = {row[1]: dict(zip(HEADER, row, strict=True)) for row in rows[1:]}
    stc = by_code["STC"]
    assert stc["cohort"] == "so" and stc["unit_name"] == "Sở Tài chính"
    assert (stc["score"], stc["rank"], stc["previous_rank"], stc["rank_change"]) == (
        "95.00", "2", "", "")
    assert stc["band"] == "Tốt"
    assert (stc["HT_score"], stc["HT_rank"], stc["UD_score"], stc["UD_rank"]) == (
        "35.00", "2", "60.00", "1")
    # units not assessed: empty scores and ranks
    assert all(by_code["SYT"][column] == "" for column in HEADER[3:])
    assert by_code["SNV"]["unit_name"] == "Sở Nội vụ"


def test_xlsx_holds_the_same_in_a_sheet_results_with_numbers(snapshot, tmp_path):
    path = export_results(snapshot=snapshot, destination=tmp_path / "ket-qua.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == ["results"]
    rows = list(book["results"].iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert [row[1] for row in rows[1:]] == ORDER
    stc = dict(zip(HEADER, rows[2], strict=True))
    assert stc["score"] == 95 and isinstance(stc["score"], (int, float))
    assert stc["rank"] == 2 and isinstance(stc["rank"], int)
    assert stc["previous_rank"] is None
    assert book["results"]["D2"].number_format == "0.00"
    syt = dict(zip(HEADER, rows[5], strict=True))
    assert syt["unit_code"] == "SYT" and syt["score"] is None and syt["rank"] is None


def test_json_is_a_list_of_objects_with_numbers_and_nulls(snapshot, tmp_path):
    path = export_results(snapshot=snapshot, destination=tmp_path / "ket-qua.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert [row["unit_code"] for row in data] == ORDER
    assert list(data[0]) == HEADER
    assert data[0]["score"] == 100 and data[0]["rank"] == 1
    assert data[0]["UD_VB_score"] == 30.0
    assert data[0]["previous_rank"] is None and data[0]["rank_change"] is None
    syt = data[4]
    assert syt["score"] is None and syt["band"] is None and syt["HT_rank"] is None
    assert "Sở Thông tin và Truyền thông" in path.read_text(encoding="utf-8")  # not \\u-escaped


def test_scores_are_rounded_to_the_frameworks_decimals(build, cohorts, tmp_path):
    period = build.period("2019", build.standard_framework("F-1", decimals=1), [cohorts[0]])
    unit = build.unit("A", "Sở A", cohorts[0])
    build.submit(period, unit, {**FULL, "may_tinh": 33.333})  # 20 * 0.33333 = 6.6666
    snapshot = compute_snapshot(period=period)
    row = results_rows(snapshot).rows[0]
    assert row["score"] == 86.7 and row["HT_score"] == 26.7
    path = export_results(snapshot=snapshot, destination=tmp_path / "r.csv")
    assert read_csv(path)[1][3] == "86.7"


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)",
                                  "\t=1"])
def test_text_cells_never_start_with_a_formula_character(snapshot, tmp_path, name):
    Unit.objects.filter(code="STC").update(name=name)

    csv_rows = read_csv(export_results(snapshot=snapshot, destination=tmp_path / "r.csv"))
    assert csv_rows[2][2] == "'" + name

    book = load_workbook(export_results(snapshot=snapshot, destination=tmp_path / "r.xlsx"))
    cell = book["results"]["C3"]
    assert cell.value == "'" + name and cell.data_type == "s"

    data = json.loads(export_results(snapshot=snapshot,
                                     destination=tmp_path / "r.json").read_text())
    assert data[1]["unit_name"] == "'" + name
    # numbers, negative ones included, stay numbers
    assert isinstance(data[1]["score"], float)


def test_negative_rank_changes_stay_numbers(build, cohorts, tmp_path):
    so = cohorts[0]
    a, b = build.unit("A", "Sở A", so), build.unit("B", "Sở B", so)
    old = build.period("2016", build.standard_framework("F-2016"), [so])
    build.submit(old, a, FULL)
    build.submit(old, b, {**FULL, "lan": False})
    publish_snapshot(snapshot=compute_snapshot(period=old))
    new = build.period("2017", build.standard_framework("F-2017"), [so], previous=old)
    build.submit(new, a, {**FULL, "lan": False})
    build.submit(new, b, FULL)
    snapshot = compute_snapshot(period=new)
    rows = read_csv(export_results(snapshot=snapshot, destination=tmp_path / "r.csv"))
    assert rows[1][1:7] == ["B", "Sở B", "100.00", "1", "2", "1"]
    assert rows[2][1:7] == ["A", "Sở A", "80.00", "2", "1", "-1"]
    book = load_workbook(export_results(snapshot=snapshot, destination=tmp_path / "r.xlsx"))
    assert book["results"]["G3"].value == -1


def test_an_unknown_ending_or_folder_writes_nothing(snapshot, tmp_path):
    with pytest.raises(ValidationError, match=".csv, .xlsx"):
        export_results(snapshot=snapshot, destination=tmp_path / "r.pdf")
    with pytest.raises(ValidationError, match="không tồn tại"):
        export_results(snapshot=snapshot, destination=tmp_path / "missing" / "r.csv")
    assert list(tmp_path.iterdir()) == []


def test_csv_bytes_are_utf8_with_a_header(snapshot, tmp_path):
    path = export_results(snapshot=snapshot, destination=tmp_path / "r.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"cohort,unit_code,unit_name,score,")
    text = raw.decode("utf-8")
    assert list(csv.reader(io.StringIO(text)))[1][2] == "Sở Thông tin và Truyền thông"
