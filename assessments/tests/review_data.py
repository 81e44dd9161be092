"""Test data of the review tests (issue 4): a small framework, a closed period with handed-in
returns and the previous year's approved returns, accounts for every role."""

from __future__ import annotations

import datetime

from assessments.models import (
    Answer,
    Band,
    Cohort,
    CriterionGroup,
    Framework,
    Indicator,
    Period,
    Submission,
    SubmissionTransition,
    Unit,
    User,
)

PASSWORD = "review-test-pw"
SUBMITTED = Submission.Status.SUBMITTED
APPROVED = Submission.Status.APPROVED

#: 20 (lan) + 40 · may_tinh/100 (ratio) + vb (a=40, b=20, c=0); so_may is not scored.
FULL = {"lan": True, "may_tinh": 100, "vb": "a", "so_may": 50}     # 100
FAIR = {"lan": True, "may_tinh": 50, "vb": "b", "so_may": 40}      # 60


def framework(code: str = "RV") -> Framework:
    fw = Framework.objects.create(code=code, name=f"Bộ tiêu chí {code}")
    ht = CriterionGroup.objects.create(framework=fw, code="HT", name="Hạ tầng", order=1)
    ud = CriterionGroup.objects.create(framework=fw, code="UD", name="Ứng dụng", order=2)
    Indicator.objects.create(framework=fw, group=ht, code="lan", name="Mạng LAN", order=1,
                             value_type="boolean", rule="boolean", max_points=20,
                             evidence_required=True)
    Indicator.objects.create(framework=fw, group=ht, code="may_tinh", order=2,
                             name="Tỷ lệ máy tính", value_type="percent", rule="ratio",
                             params="target=100", max_points=40)
    Indicator.objects.create(framework=fw, group=ht, code="so_may", order=3,
                             name="Số máy tính", value_type="number", rule="none")
    Indicator.objects.create(framework=fw, group=ud, code="vb", name="Phần mềm văn bản",
                             order=4, value_type="choice", rule="choice",
                             params="a=40;b=20;c=0", max_points=40)
    Band.objects.create(framework=fw, label="Tốt", min_score=80)
    Band.objects.create(framework=fw, label="Yếu", min_score=0)
    return fw


def submit(period: Period, unit: Unit, values: dict, status: str = SUBMITTED,
           actor=None) -> Submission:
    submission = Submission.objects.create(period=period, unit=unit, status=status,
                                           submitted_at=datetime.datetime(
                                               2026, 1, 5, tzinfo=datetime.UTC))
    indicators = {i.code: i for i in period.framework.indicators.all()}
    rows = []
    for code, value in values.items():
        answer = Answer(submission=submission, indicator=indicators[code])
        if isinstance(value, str):
            answer.value_text = value
        elif value is not None:
            answer.value_number = float(value)
        rows.append(answer)
    Answer.objects.bulk_create(rows)
    SubmissionTransition.objects.create(submission=submission, from_status="",
                                        to_status=SUBMITTED, actor=actor)
    if status == APPROVED:
        SubmissionTransition.objects.create(submission=submission, from_status=SUBMITTED,
                                            to_status=APPROVED)
    return submission


class World:
    """Cohort ``so`` with units S1..Sn; period 2026 (closed) compared with 2025 (published
    values, approved). S1 and S2 handed in; the others have no return."""

    def __init__(self, units: int = 4):
        self.cohort = Cohort.objects.create(code="so", name="Sở, ban, ngành", order=1)
        self.units = [Unit.objects.create(code=f"S{i}", name=f"Sở số {i}", cohort=self.cohort)
                      for i in range(1, units + 1)]
        self.framework = framework()
        self.previous = Period.objects.create(code="Y2025", name="Năm 2025",
                                              framework=self.framework,
                                              status=Period.Status.CLOSED)
        self.previous.cohorts.set([self.cohort])
        self.period = Period.objects.create(
            code="Y2026", name="Năm 2026", framework=self.framework,
            status=Period.Status.CLOSED, previous=self.previous,
            deadline=datetime.date(2026, 1, 10))
        self.period.cohorts.set([self.cohort])
        self.reviewer = User.objects.create_user("rv", password=PASSWORD, role="reviewer",
                                                 email="rv@example.org")
        self.admin = User.objects.create_user("ad", password=PASSWORD, role="admin",
                                              email="ad@example.org")
        self.staff = User.objects.create_user("s1", password=PASSWORD, role="unit_staff",
                                              unit=self.units[0], email="s1@example.org")
        self.other = User.objects.create_user("s2", password=PASSWORD, role="unit_staff",
                                              unit=self.units[1], email="s2@example.org")

    def user(self, role: str):
        return {"unit_staff": self.staff, "other_staff": self.other, "reviewer": self.reviewer,
                "admin": self.admin, "anonymous": None}[role]

    def answer(self, submission: Submission, code: str) -> Answer:
        return submission.answers.select_related("indicator", "submission").get(
            indicator__code=code)
