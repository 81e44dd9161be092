"""manage.py import_returns FILE --period CODE [--dry-run] [--approve]."""

import pytest

from assessments.models import Answer, Submission

from .conftest import db_state
from .factories import run_command, write_xlsx

pytestmark = pytest.mark.django_db

RETURNS = {"returns": [["unit_code", "may_tinh", "lan"], ["H-A", 12, "có"], ["SO-GD", 30, "không"]]}


def test_import_returns_prints_counts_per_unit(period, tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", RETURNS)
    status, out, err = run_command("import_returns", str(path), "--period", "2017")
    assert status == 0, err
    assert "Kỳ 2017, tệp r.xlsx:" in out
    assert "Bố cục wide: 2 đơn vị; câu trả lời: 4 mới, 0 thay đổi, 0 không đổi." in out
    assert "H-A: - → Đã nộp; 2 mới, 0 thay đổi, 0 không đổi." in out
    assert set(Submission.objects.values_list("status", flat=True)) == {"submitted"}


def test_approve_approves_the_imported_submissions(period, tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", RETURNS)
    status, _out, err = run_command("import_returns", str(path), "--period", "2017",
                                    "--approve")
    assert status == 0, err
    assert set(Submission.objects.values_list("status", flat=True)) == {"approved"}


def test_dry_run_reports_and_writes_nothing(period, tmp_path):
    before = db_state()
    status, out, err = run_command("import_returns", str(write_xlsx(tmp_path / "r.xlsx", RETURNS)),
                                   "--period", "2017", "--dry-run")
    assert status == 0, err
    assert "4 mới" in out and "Chạy thử: không ghi gì vào cơ sở dữ liệu." in out
    assert db_state() == before


def test_errors_exit_non_zero_with_every_cell_named_and_write_nothing(period, tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", {"returns": [
        ["unit_code", "may_tinh", "lan"], ["H-A", 12, "có"], ["H-A", "6,477", "?"]]})
    before = db_state()
    status, _out, err = run_command("import_returns", str(path), "--period", "2017")
    assert status == 1
    assert "Sheet returns, ô A3 (H-A): đơn vị 'H-A' đã có ở dòng 2." in err
    assert "Sheet returns, ô B3 (H-A): tiêu chí may_tinh: giá trị '6,477' không rõ nghĩa" in err
    assert "Sheet returns, ô C3 (H-A): tiêu chí lan: giá trị '?' không phải là có/không" in err
    assert db_state() == before
    assert Answer.objects.count() == 0


def test_an_unknown_period_is_an_error(db, tmp_path):
    status, _out, err = run_command("import_returns", str(write_xlsx(tmp_path / "r.xlsx", RETURNS)),
                                    "--period", "1999")
    assert status == 1 and "Không có kỳ đánh giá mã 1999." in err
