"""A unit's staff cannot read or change another unit's submission, answers or evidence by any
URL of the returns pages that takes an id: every such pattern is tried, with GET and POST."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments import services
from assessments.models import Answer, AnswerChange, EvidenceFile, Submission
from assessments.urls_returns import urlpatterns

from . import returns_support
from .returns_support import PASSWORD, PDF_BYTES

pytestmark = pytest.mark.django_db

# fixtures shared by the returns tests
media = returns_support.media
mine = returns_support.mine
people = returns_support.people
theirs = returns_support.theirs

#: What each id of a pattern names: the pk of a submission, except the evidence download.
ID_PATTERNS = [p.name for p in urlpatterns if "pk" in p.pattern.converters]
EVIDENCE_PATTERNS = {"evidence"}


def test_every_pattern_with_an_id_is_covered_here():
    assert set(ID_PATTERNS) == {"form", "preview", "autosave", "history", "workbook_template",
                                "workbook_upload", "evidence"}


@pytest.fixture
def other_units_data(people, theirs):
    services.save_answers(submission=theirs, actor=people["other"], expected_version=1,
                          data={"may_tinh": {"value": "77,25", "explanation": "bí mật"}})
    services.attach_evidence(submission=theirs, indicator_code="lan", actor=people["other"],
                             upload=SimpleUploadedFile("rieng.pdf", PDF_BYTES))
    theirs.refresh_from_db()
    return {"submission": theirs, "evidence": EvidenceFile.objects.get()}


def state():
    return (sorted(Answer.objects.values_list("submission_id", "indicator__code",
                                              "value_number", "explanation")),
            sorted(Submission.objects.values_list("pk", "status", "version")),
            EvidenceFile.objects.count(), AnswerChange.objects.count())


@pytest.mark.parametrize("name", ID_PATTERNS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_staff_of_another_unit_get_404_and_change_nothing(client, people, mine,
                                                          other_units_data, name, method):
    target = other_units_data["evidence" if name in EVIDENCE_PATTERNS else "submission"]
    url = reverse(f"returns:{name}", args=[target.pk])
    client.login(username="so-tttt", password=PASSWORD)
    before = state()
    data = {"version": other_units_data["submission"].version, "v_may_tinh": "1",
            "e_may_tinh": "x", "action": "submit",
            "f_lan": SimpleUploadedFile("x.pdf", PDF_BYTES)}
    response = client.get(url) if method == "get" else client.post(url, data)
    assert response.status_code in (404, 405)
    page = response.content.decode()  # (a random CSRF token may hold any digits: not "77")
    assert "77,25" not in page and "77.25" not in page and "bí mật" not in page
    assert state() == before


@pytest.mark.parametrize("name", ID_PATTERNS)
def test_anonymous_visitors_are_sent_to_sign_in(client, other_units_data, name):
    target = other_units_data["evidence" if name in EVIDENCE_PATTERNS else "submission"]
    response = client.get(reverse(f"returns:{name}", args=[target.pk]))
    assert response.status_code in (302, 405)
    if response.status_code == 302:
        assert "/login/" in response["Location"]


def test_recall_and_remove_actions_cannot_reach_another_unit(client, people, mine,
                                                             other_units_data):
    theirs = other_units_data["submission"]
    services.transition_submission(submission=theirs, to_status=Submission.Status.SUBMITTED,
                                   actor=people["other"])
    client.login(username="so-tttt", password=PASSWORD)
    before = state()
    assert client.post(reverse("returns:form", args=[theirs.pk]),
                       {"action": "recall"}).status_code == 404
    # removing their file through my own form
    response = client.post(reverse("returns:form", args=[mine.pk]), {
        "version": mine.version, "action": f"remove:{other_units_data['evidence'].pk}"})
    assert response.status_code == 404
    assert state()[2:] == before[2:] and Submission.objects.get(pk=theirs.pk).status == (
        Submission.Status.SUBMITTED)


def test_starting_a_period_of_another_cohort_is_404(client, people, period, province):
    from assessments.models import Period

    other = Period.objects.create(code="P-ONLY", name="Tỉnh", framework=period.framework,
                                  status=Period.Status.OPEN)
    other.cohorts.add(province["P-X"].cohort)
    client.login(username="so-tttt", password=PASSWORD)
    assert client.post(reverse("returns:start", args=["P-ONLY"])).status_code == 404
    assert not Submission.objects.filter(period=other).exists()


def test_reviewers_read_every_units_form_but_cannot_change_it(client, people, other_units_data):
    theirs = other_units_data["submission"]
    client.login(username="reviewer", password=PASSWORD)
    url = reverse("returns:form", args=[theirs.pk])
    response = client.get(url)
    assert response.status_code == 200 and 'value="77,25"' in response.content.decode()
    before = state()
    client.post(url, {"version": theirs.version, "v_may_tinh": "1"})
    assert state() == before
