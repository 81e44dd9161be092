"""A published composite index from outside the project, fed through the commands.

The UN E-Government Development Index 2018 (UN E-Government Survey 2018; data as
republished by UNU-EGOV in fixtures/external/egdi-2018.csv) is the mean of three component
indices: Online Service Index, Human Capital Index and Telecommunication Infrastructure
Index, published to four decimals, with shared ranks (Serbia and Slovakia both 49th, Iraq
and Angola both 155th). Scoring the published components with a framework that says just
that must give back every published EGDI value and rank of the 193 member states.
"""

import csv
import json
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

SOURCE = Path(__file__).resolve().parents[2] / "fixtures" / "external" / "egdi-2018.csv"


def _published():
    with SOURCE.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _workbook(path: Path, sheets: dict[str, list[list]]):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_egdi_2018_comes_back_with_its_published_values_and_ranks(tmp_path):
    rows = _published()
    assert len(rows) == 193
    units = _workbook(tmp_path / "units.xlsx", {
        "cohorts": [["code", "name"], ["un", "UN Member States"]],
        "units": [["code", "name", "cohort"]]
        + [[r["country-code"], r["country-name"], "un"] for r in rows],
    })
    framework = _workbook(tmp_path / "framework.xlsx", {
        "settings": [["key", "value"], ["code", "EGDI-2018"],
                     ["name", "E-Government Development Index 2018"], ["scale", 1],
                     ["aggregation", "weighted_mean"], ["decimals", 4],
                     ["rank_on", "rounded"], ["ties", "competition"], ["missing", "zero"]],
        "groups": [["code", "name", "parent", "aggregation", "weight", "max_points",
                    "rescale", "order"],
                   ["OSI", "Online Service Index", None, "weighted_mean", 1, None, None, 1],
                   ["HCI", "Human Capital Index", None, "weighted_mean", 1, None, None, 2],
                   ["TII", "Telecommunication Infrastructure Index", None, "weighted_mean",
                    1, None, None, 3]],
        "indicators": [["code", "group", "name", "value_type", "unit", "rule", "params",
                        "max_points", "weight", "inverse", "applies_to", "required",
                        "evidence", "min", "max", "formula", "guidance"]]
        + [[code.lower(), code, name, "number", "index", "direct", None, 1, 1, "no", None,
            "yes", "no", 0, 1, None, None]
           for code, name in [("OSI", "Online Service Index"),
                              ("HCI", "Human Capital Index"),
                              ("TII", "Telecommunication Infrastructure Index")]],
    })
    returns = _workbook(tmp_path / "returns.xlsx", {
        "returns": [["unit_code", "unit_name", "osi", "hci", "tii"]]
        + [[r["country-code"], r["country-name"], float(r["osi"]), float(r["hci"]),
            float(r["tii"])] for r in rows],
    })

    call_command("import_units", str(units))
    call_command("import_framework", str(framework))
    call_command("create_period", "EGDI-2018", "--framework", "EGDI-2018", "--cohorts", "un")
    call_command("import_returns", str(returns), "--period", "EGDI-2018", "--approve")
    call_command("compute_rankings", "--period", "EGDI-2018", "--publish")
    output = tmp_path / "egdi.json"
    call_command("export_rankings", "--period", "EGDI-2018", "--output", str(output))

    results = {row["unit_code"]: row for row in json.loads(output.read_text(encoding="utf-8"))}
    assert len(results) == 193
    mismatched = [
        (r["country-code"], r["e-gov-index"], results[r["country-code"]]["score"],
         r["e-gov-rank"], results[r["country-code"]]["rank"])
        for r in rows
        if results[r["country-code"]]["score"] != float(r["e-gov-index"])
        or results[r["country-code"]]["rank"] != int(r["e-gov-rank"])
    ]
    assert mismatched == []
    assert results["DNK"]["rank"] == 1 and results["DNK"]["score"] == 0.915
    assert results["SRB"]["rank"] == results["SVK"]["rank"] == 49
    assert results["IRQ"]["rank"] == results["AGO"]["rank"] == 155
    assert results["RUS"]["rank"] == 32  # after the tie at 49 nothing is skipped above it
    assert results["MYS"]["rank"] == 48 and results["QAT"]["rank"] == 51  # 50 is skipped
