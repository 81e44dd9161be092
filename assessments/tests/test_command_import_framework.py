"""manage.py import_framework FILE [--replace]."""

import pytest

from assessments.models import Framework

from .conftest import db_state
from .factories import framework_sheets, run_command, set_cell, write_xlsx

pytestmark = pytest.mark.django_db


def test_import_framework_prints_what_it_created(tmp_path):
    status, out, err = run_command("import_framework",
                                   str(write_xlsx(tmp_path / "f.xlsx", framework_sheets())))
    assert status == 0, err
    assert "Bộ tiêu chí MIC-2017: 3 nhóm, 8 tiêu chí, 4 xếp loại." in out
    assert Framework.objects.get().code == "MIC-2017"


def test_an_existing_code_fails_without_replace_and_succeeds_with_it(framework, tmp_path):
    sheets = framework_sheets()
    set_cell(sheets["settings"], "name", "value", "Tên mới")
    path = str(write_xlsx(tmp_path / "f.xlsx", sheets))
    before = db_state()
    status, _out, err = run_command("import_framework", path)
    assert status == 1 and "dùng --replace để thay thế" in err
    assert db_state() == before
    status, _out, err = run_command("import_framework", path, "--replace")
    assert status == 0, err
    assert Framework.objects.get().name == "Tên mới"


def test_engine_issues_are_listed_with_their_cells(db, tmp_path):
    sheets = framework_sheets()
    set_cell(sheets["groups"], "HT", "parent", "HT1")
    set_cell(sheets["indicators"], "lan", "rule", "magic")
    status, _out, err = run_command("import_framework",
                                    str(write_xlsx(tmp_path / "f.xlsx", sheets)))
    assert status == 1
    assert "Sheet groups, ô C2 (HT): các nhóm tiêu chí tạo thành vòng lặp: HT -> HT1 -> HT." in err
    assert "Sheet indicators, ô F5 (lan): giá trị 'magic' không nằm trong" in err
    assert Framework.objects.count() == 0
