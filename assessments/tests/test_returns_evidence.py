"""Evidence files: type by content, size limit, citation, several files per answer, one
stored copy per content hash, downloads only through the access-checked view, and the
evidence rule of submitting."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments import evidence as evidence_store
from assessments import services
from assessments.models import AnswerChange, EvidenceBlob, EvidenceFile, Submission

from . import returns_support
from .returns_support import (
    COMPLETE,
    JPEG_BYTES,
    PASSWORD,
    PDF_BYTES,
    PNG_BYTES,
    form_data,
    form_url,
    office_bytes,
)

pytestmark = pytest.mark.django_db

# fixtures shared by the returns tests
media = returns_support.media
mine = returns_support.mine
people = returns_support.people
theirs = returns_support.theirs


@pytest.fixture
def staff_client(client, people):
    client.login(username="so-tttt", password=PASSWORD)
    return client


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.mark.parametrize("name, data, expected", [
    ("bien-ban.pdf", PDF_BYTES, evidence_store.PDF),
    ("anh.png", PNG_BYTES, evidence_store.PNG),
    ("anh.jpg", JPEG_BYTES, evidence_store.JPEG),
    ("quyet-dinh.docx", office_bytes("docx"), evidence_store.DOCX),
    ("bang.xlsx", office_bytes("xlsx"), evidence_store.XLSX),
    ("van-ban.odt", office_bytes("odt"), evidence_store.ODT),
    ("no-extension", PDF_BYTES, evidence_store.PDF),  # the content decides, not the name
])
def test_accepted_types_are_recognised_by_their_content(name, data, expected):
    assert evidence_store.store_blob(upload(name, data)).content_type == expected


@pytest.mark.parametrize("name, data", [
    ("gia-mao.pdf", b"<html>not a pdf</html>"),
    ("script.png", b"#!/bin/sh\necho hi\n"),
    ("nen.docx", office_bytes("docx").replace(b"[Content_Types].xml", b"[Other_Typesxx].xml")),
    ("rong.pdf", b""),
])
def test_other_content_is_refused_whatever_its_name(name, data):
    with pytest.raises(ValidationError) as refused:
        evidence_store.store_blob(upload(name, data))
    assert name in refused.value.messages[0]
    assert EvidenceBlob.objects.count() == 0


def test_files_over_the_size_limit_are_refused(settings):
    settings.EVIDENCE_MAX_BYTES = 40
    with pytest.raises(ValidationError, match="lớn hơn giới hạn"):
        evidence_store.store_blob(upload("lon.pdf", PDF_BYTES + b" " * 10))
    assert EvidenceBlob.objects.count() == 0


def test_several_files_with_citation_through_the_form(staff_client, mine, people):
    response = staff_client.post(form_url(mine), form_data(
        mine, may_tinh="10", f_lan=[upload("a.pdf", PDF_BYTES), upload("b.png", PNG_BYTES)],
        dn_lan="12/QĐ-UBND", dd_lan="15/03/2016", is_lan="UBND thành phố"))
    assert response.status_code == 302
    files = list(EvidenceFile.objects.filter(answer__submission=mine,
                                             answer__indicator__code="lan"))
    assert [f.original_name for f in files] == ["a.pdf", "b.png"]
    assert {(f.document_number, f.document_date.isoformat(), f.issuer) for f in files} == {
        ("12/QĐ-UBND", "2016-03-15", "UBND thành phố")}
    assert files[0].uploaded_by == people["staff"]
    assert AnswerChange.objects.filter(field="evidence").count() == 2
    html = staff_client.get(form_url(mine)).content.decode()
    assert reverse("returns:evidence", args=[files[0].pk]) in html


def test_a_refused_file_is_reported_and_the_answers_still_saved(staff_client, mine):
    response = staff_client.post(form_url(mine), form_data(
        mine, may_tinh="10", f_lan=upload("virus.pdf", b"MZ\x90\x00")), follow=True)
    assert "không phải là loại được nhận" in response.content.decode()
    assert EvidenceFile.objects.count() == 0
    assert mine.answers.get(indicator__code="may_tinh").value_number == 10


def test_identical_files_are_stored_once(staff_client, client, people, mine, theirs):
    staff_client.post(form_url(mine), form_data(mine, f_lan=upload("a.pdf", PDF_BYTES)))
    staff_client.post(form_url(mine), form_data(mine, f_may_tinh=upload("b.pdf", PDF_BYTES)))
    other = client.__class__()
    other.login(username="so-gd", password=PASSWORD)
    other.post(form_url(theirs), form_data(theirs, f_lan=upload("c.pdf", PDF_BYTES)))
    assert EvidenceFile.objects.count() == 3
    assert EvidenceBlob.objects.count() == 1
    assert len(list((media_root(EvidenceBlob.objects.get())).parent.iterdir())) == 1


def media_root(blob):
    from pathlib import Path

    return Path(blob.file.path)


def test_download_only_through_the_access_checked_view(staff_client, client, people, mine):
    staff_client.post(form_url(mine), form_data(mine, f_lan=upload("bien ban.pdf", PDF_BYTES)))
    stored = EvidenceFile.objects.get()
    url = reverse("returns:evidence", args=[stored.pk])
    response = staff_client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    reviewer = client.__class__()
    reviewer.login(username="reviewer", password=PASSWORD)
    assert reviewer.get(url).status_code == 200
    other = client.__class__()
    other.login(username="so-gd", password=PASSWORD)
    assert other.get(url).status_code == 404
    anonymous = client.__class__()
    assert anonymous.get(url).status_code == 302
    # the stored file has no public URL
    assert anonymous.get("/media-not-served/" + stored.blob.file.name).status_code == 404


def test_removing_a_file(staff_client, mine):
    staff_client.post(form_url(mine), form_data(mine, f_lan=upload("a.pdf", PDF_BYTES)))
    stored = EvidenceFile.objects.get()
    staff_client.post(form_url(mine), form_data(mine, action=f"remove:{stored.pk}"))
    assert EvidenceFile.objects.count() == 0
    assert AnswerChange.objects.filter(field="evidence", new="").count() == 1


def test_evidence_satisfies_the_evidence_rule_without_an_explanation(staff_client, mine):
    data = {k: v for k, v in COMPLETE.items() if k != "e_lan"}
    staff_client.post(form_url(mine), form_data(mine, action="submit", **data))
    mine.refresh_from_db()
    assert mine.status == Submission.Status.DRAFT
    assert ("lan", "Cần tài liệu kiểm chứng; nếu chưa có, hãy ghi giải trình.") in (
        services.submission_problems(mine))
    staff_client.post(form_url(mine), form_data(mine, action="submit",
                                                f_lan=upload("a.pdf", PDF_BYTES), **data))
    mine.refresh_from_db()
    assert mine.status == Submission.Status.SUBMITTED


def test_no_file_can_be_attached_to_another_units_submission(people, theirs):
    with pytest.raises(ValidationError):
        services.attach_evidence(submission=theirs, indicator_code="lan",
                                 upload=upload("a.pdf", PDF_BYTES), actor=people["staff"])
    assert EvidenceFile.objects.count() == 0
