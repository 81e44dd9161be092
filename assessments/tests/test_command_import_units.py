"""manage.py import_units FILE."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assessments.models import Unit

from .conftest import db_state
from .factories import run_command, write_xlsx

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_import_units_prints_a_summary(tmp_path):
    path = write_xlsx(tmp_path / "units.xlsx", {"units": [
        ["code", "name", "cohort"], ["H-A", "Huyện A", "districts"]]})
    status, out, err = run_command("import_units", str(path))
    assert (status, err) == (0, "")
    assert "Đơn vị: 1 mới, 0 cập nhật, 0 không đổi." in out
    assert Unit.objects.get().code == "H-A"


def test_import_units_exits_non_zero_listing_every_error_and_writes_nothing(tmp_path):
    path = write_xlsx(tmp_path / "units.xlsx", {"units": [
        ["code", "name", "cohort"], ["H-A", "Huyện A", "districts"], ["H B", None, "districts"]]})
    before = db_state()
    status, out, err = run_command("import_units", str(path))
    assert status == 1
    assert "Tệp units.xlsx có 2 lỗi:" in err
    assert "Sheet units, ô A3 (H B): mã đơn vị 'H B' chỉ được gồm" in err
    assert "Sheet units, ô B3: thiếu tên." in err
    assert db_state() == before


def test_a_shell_sees_a_non_zero_exit_status_for_a_file_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "units.xlsx"
    path.write_text("not a workbook")
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
               DJANGO_SETTINGS_MODULE="ict_index.settings_test")
    result = subprocess.run([sys.executable, "manage.py", "import_units", str(path)], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "không phải là bảng tính .xlsx hoặc .csv" in result.stderr
    assert result.stdout == ""


def test_a_missing_file_is_an_error(tmp_path):
    status, _out, err = run_command("import_units", str(tmp_path / "nope.xlsx"))
    assert status == 1 and "không đọc được tệp" in err
