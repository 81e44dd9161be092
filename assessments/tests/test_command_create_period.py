"""manage.py create_period CODE --framework F --cohorts C1,C2 [...] and the service."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from assessments.models import Indicator, Period
from assessments.services import create_period

from .conftest import db_state
from .factories import run_command

pytestmark = pytest.mark.django_db


def test_create_period_opens_a_period_with_its_cohorts_and_dates(framework, province):
    status, out, err = run_command(
        "create_period", "2017", "--framework", "MIC-2017", "--cohorts", "depts,districts",
        "--opens", "2017-03-01", "--closes", "2017-04-30", "--name", "Năm 2017")
    assert status == 0, err
    period = Period.objects.get(code="2017")
    assert (period.name, period.status, period.framework.code) == ("Năm 2017", "open",
                                                                  "MIC-2017")
    assert sorted(period.cohorts.values_list("code", flat=True)) == ["depts", "districts"]
    assert (period.opens_on, period.deadline) == (datetime.date(2017, 3, 1),
                                                  datetime.date(2017, 4, 30))
    assert period.previous is None
    assert "Đã tạo kỳ 2017 (Năm 2017)" in out


def test_previous_defaults_to_the_latest_earlier_period_and_can_be_given(framework, province):
    create_period(code="2015", framework=framework, cohorts=["depts"])
    create_period(code="2016", framework=framework, cohorts=["depts"])
    assert create_period(code="2017", framework=framework,
                         cohorts=["depts"]).previous.code == "2016"
    status, _out, err = run_command("create_period", "2018", "--framework", "MIC-2017",
                                    "--cohorts", "depts", "--previous", "2015")
    assert status == 0, err
    assert Period.objects.get(code="2018").previous.code == "2015"
    assert Period.objects.get(code="2018").name == "Kỳ đánh giá 2018"


@pytest.mark.parametrize("argv, message", [
    (["20 17", "--framework", "MIC-2017", "--cohorts", "depts"], "Mã kỳ '20 17'"),
    (["2017", "--framework", "NOPE", "--cohorts", "depts"], "Không có bộ tiêu chí mã NOPE."),
    (["2017", "--framework", "MIC-2017", "--cohorts", "depts,nope"],
     "Không có nhóm đơn vị: nope."),
    (["2017", "--framework", "MIC-2017", "--cohorts", "depts", "--opens", "01/03/2017"],
     "--opens '01/03/2017' không phải ngày dạng YYYY-MM-DD."),
    (["2017", "--framework", "MIC-2017", "--cohorts", "depts", "--closes", "2017-02-30"],
     "--closes '2017-02-30' không phải ngày dạng YYYY-MM-DD."),
    (["2017", "--framework", "MIC-2017", "--cohorts", "depts", "--opens", "2017-05-01",
      "--closes", "2017-04-30"], "Hạn nộp 2017-04-30 trước ngày mở 2017-05-01."),
    (["2017", "--framework", "MIC-2017", "--cohorts", "depts", "--previous", "2000"],
     "Không có kỳ đánh giá mã 2000."),
])
def test_create_period_errors_exit_non_zero_and_write_nothing(framework, province, argv,
                                                              message):
    before = db_state()
    status, _out, err = run_command("create_period", *argv)
    assert status == 1 and message in err, err
    assert db_state() == before


def test_an_existing_period_code_is_refused(period):
    status, _out, err = run_command("create_period", "2017", "--framework", "MIC-2017",
                                    "--cohorts", "depts")
    assert status == 1 and "Đã có kỳ đánh giá mã 2017." in err


def test_a_period_needs_a_valid_framework(framework, province):
    Indicator.objects.filter(code="lan").update(rule="magic")
    with pytest.raises(ValidationError, match="Bộ tiêu chí MIC-2017 chưa hợp lệ"):
        create_period(code="2017", framework=framework, cohorts=["depts"])
    assert not Period.objects.exists()
