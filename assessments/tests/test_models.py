"""Behaviour that the domain models themselves guarantee."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from assessments.models import (
    Answer,
    Cohort,
    CriterionGroup,
    Extension,
    Framework,
    FrameworkFrozenError,
    Indicator,
    Period,
    Submission,
    Unit,
    User,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def framework():
    fw = Framework.objects.create(code="F-2015", name="Bộ tiêu chí 2015")
    group = CriterionGroup.objects.create(framework=fw, code="HT", name="Hạ tầng")
    Indicator.objects.create(framework=fw, group=group, code="may_tinh", name="Số máy tính",
                             value_type="number", rule="none")
    Indicator.objects.create(framework=fw, group=group, code="lan", name="Mạng LAN",
                             value_type="boolean", rule="boolean")
    return fw


@pytest.fixture
def cohort():
    return Cohort.objects.create(code="districts", name="Huyện, thành phố")


def test_framework_of_a_published_period_refuses_changes_to_its_tree(framework):
    period = Period.objects.create(code="2015", name="Năm 2015", framework=framework)
    group = framework.groups.get()
    group.name = "Hạ tầng kỹ thuật"
    group.save()  # still editable while the period is not published

    period.status = Period.Status.PUBLISHED
    period.save()
    assert framework.is_frozen
    group.name = "Đổi tên"
    with pytest.raises(FrameworkFrozenError):
        group.save()
    with pytest.raises(FrameworkFrozenError):
        framework.indicators.first().delete()
    assert CriterionGroup.objects.get(pk=group.pk).name == "Hạ tầng kỹ thuật"
    assert framework.indicators.count() == 2


def test_default_previous_period_is_the_latest_earlier_one_sharing_a_cohort(framework,
                                                                           cohort):
    provinces = Cohort.objects.create(code="provinces", name="Tỉnh, thành phố")

    def period(code, year, cohorts):
        p = Period.objects.create(code=code, name=code, framework=framework,
                                  opens_on=datetime.date(year, 1, 1))
        p.cohorts.set(cohorts)
        return p

    p2014 = period("2014", 2014, [cohort])
    period("2013", 2013, [cohort])
    national = period("MIC-2014b", 2014, [provinces])
    p2015 = period("2015", 2015, [cohort])
    assert p2015.default_previous() == p2014
    assert national.default_previous() is None  # no earlier period of provinces
    later = Period(code="MIC-2015", name="x", framework=framework,
                   opens_on=datetime.date(2015, 6, 1))
    assert later.default_previous(cohorts=[provinces]) == national


def test_extension_moves_the_deadline_of_one_unit_only(framework, cohort):
    period = Period.objects.create(code="2015", name="2015", framework=framework,
                                   deadline=datetime.date(2015, 11, 30))
    late = Unit.objects.create(code="tamky", name="Thành phố Tam Kỳ", cohort=cohort)
    other = Unit.objects.create(code="hoian", name="Thành phố Hội An", cohort=cohort)
    Extension.objects.create(period=period, unit=late, until=datetime.date(2015, 12, 15))
    assert period.deadline_for(late) == datetime.date(2015, 12, 15)
    assert period.deadline_for(other) == datetime.date(2015, 11, 30)


def test_scored_value_is_the_adjusted_value_where_there_is_one(framework, cohort):
    period = Period.objects.create(code="2015", name="2015", framework=framework)
    unit = Unit.objects.create(code="tamky", name="Thành phố Tam Kỳ", cohort=cohort)
    submission = Submission.objects.create(period=period, unit=unit)
    computers = framework.indicators.get(code="may_tinh")
    answer = Answer.objects.create(submission=submission, indicator=computers, value_number=410)
    assert answer.scored_value == 410
    answer.verdict = Answer.Verdict.ACCEPTED
    assert answer.scored_value == 410
    answer.verdict, answer.adjusted_number = Answer.Verdict.ADJUSTED, 380
    assert answer.scored_value == 380
    lan = framework.indicators.get(code="lan")
    yes = Answer.objects.create(submission=submission, indicator=lan, value_number=1)
    assert yes.scored_value is True
    assert yes.display_value == "Có"


def test_unit_cannot_be_its_own_ancestor(cohort):
    a = Unit.objects.create(code="a", name="A", cohort=cohort)
    b = Unit.objects.create(code="b", name="B", cohort=cohort, parent=a)
    a.parent = b
    with pytest.raises(ValidationError) as err:
        a.clean()
    assert "parent" in err.value.message_dict


def test_unit_staff_account_must_belong_to_a_unit():
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="nobody", password="x", role="unit_staff")
    reviewer = User.objects.create_user(username="rv", password="x", role="reviewer")
    assert reviewer.is_reviewer and not reviewer.is_portal_admin


def test_one_submission_per_unit_and_period(framework, cohort):
    period = Period.objects.create(code="2015", name="2015", framework=framework)
    unit = Unit.objects.create(code="tamky", name="Thành phố Tam Kỳ", cohort=cohort)
    Submission.objects.create(period=period, unit=unit)
    with pytest.raises(IntegrityError), transaction.atomic():
        Submission.objects.create(period=period, unit=unit)
