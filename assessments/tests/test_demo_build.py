"""The demo generator: it reproduces the committed workbooks, and refuses to miss a target."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from assessments.demo import build, mic, qnam
from assessments.demo.checks import DemoTargetError
from assessments.demo.plan import FIXTURES
from assessments.demo.scoring import score


def cells(path):
    book = load_workbook(path, read_only=True)
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
            for sheet in book.worksheets}


def test_committed_workbooks_are_what_the_generator_writes(tmp_path):
    written = build.build(tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in FIXTURES.glob("*.xlsx"))
    for path in written:
        assert cells(path) == cells(FIXTURES / path.name), path.name


def test_quang_nam_check_refuses_a_missed_target():
    spec, returns = qnam.build()
    returns[2015]["QN-TAMKY"]["security"] = 4   # Tam Kỳ would score 97
    with pytest.raises(DemoTargetError, match="Tam Kỳ"):
        qnam.check_2015(returns[2015], score(spec, qnam.UNITS, returns[2015]))


def test_national_check_refuses_a_missed_target():
    specs, returns, _ = mic.build()
    returns[2016]["VN-CAOBANG"]["nl_training"] = 50   # a better 2016 in human resources
    results = {2016: score(specs[2016], mic.UNITS, returns[2016])}
    results[2017] = score(specs[2017], mic.UNITS, returns[2017], results[2016])
    with pytest.raises(DemoTargetError, match="Cao Bằng 2016, NL"):
        mic.check(results)
