"""manage.py export_framework CODE --output FILE."""

import pytest

from assessments.selectors import framework_spec
from assessments.services import import_framework

from .factories import run_command

pytestmark = pytest.mark.django_db


def test_export_writes_a_workbook_that_imports_back_identical(framework, tmp_path):
    output = tmp_path / "out.xlsx"
    status, out, err = run_command("export_framework", "MIC-2017", "--output", str(output))
    assert status == 0, err
    assert f"Đã ghi bộ tiêu chí MIC-2017 ra {output}." in out
    before = framework_spec(framework)
    assert framework_spec(import_framework(source=output, replace=True)) == before


@pytest.mark.parametrize("argv, message", [
    (["NOPE", "--output", "{tmp}/a.xlsx"], "Không có bộ tiêu chí mã NOPE."),
    (["MIC 2017", "--output", "{tmp}/a.xlsx"], "chỉ được gồm chữ cái, chữ số"),
    (["MIC-2017", "--output", "{tmp}/a.csv"], "phải có đuôi .xlsx"),
    (["MIC-2017", "--output", "{tmp}/missing/a.xlsx"], "không tồn tại"),
])
def test_export_errors_exit_non_zero_and_write_no_file(framework, tmp_path, argv, message):
    argv = [a.format(tmp=tmp_path) for a in argv]
    files = sorted(tmp_path.rglob("*"))
    status, _out, err = run_command("export_framework", *argv)
    assert status == 1 and message in err
    assert sorted(tmp_path.rglob("*")) == files
