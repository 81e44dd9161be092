"""Fixtures and helpers of the unit returns tests (test_returns_*.py): the sample
framework's period (one indicator of each value type), staff of two units, a reviewer,
and small evidence files of each accepted type."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse

from assessments.models import Submission, User

PASSWORD = "pw-returns-1"

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def office_bytes(kind: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if kind == "odt":
            archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
            archive.writestr("content.xml", "<office:document-content/>")
        else:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("word/document.xml" if kind == "docx" else "xl/workbook.xml", "<x/>")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def people(province):
    return {
        "staff": User.objects.create_user("so-tttt", password=PASSWORD, unit=province["SO-TTTT"],
                                          role=User.Role.UNIT_STAFF),
        "colleague": User.objects.create_user("so-tttt-2", password=PASSWORD,
                                              unit=province["SO-TTTT"]),
        "other": User.objects.create_user("so-gd", password=PASSWORD, unit=province["SO-GD"]),
        "district": User.objects.create_user("h-a", password=PASSWORD, unit=province["H-A"]),
        "reviewer": User.objects.create_user("reviewer", password=PASSWORD,
                                             role=User.Role.REVIEWER),
    }


@pytest.fixture
def mine(period, province):
    return Submission.objects.create(period=period, unit=province["SO-TTTT"])


@pytest.fixture
def theirs(period, province):
    return Submission.objects.create(period=period, unit=province["SO-GD"])


def form_data(submission, **values) -> dict:
    """POST data of the survey form: the stored version, then v_<code>/e_<code> pairs."""
    submission.refresh_from_db(fields=["version"])
    data = {"version": submission.version, "action": values.pop("action", "save")}
    for key, value in values.items():
        data[key if key.startswith(("v_", "e_", "f_", "dn_", "dd_", "is_", "original"))
             else f"v_{key}"] = value
    return data


COMPLETE = {"may_tinh": "120", "can_bo": "100", "lan": "co", "ty_le_dvc": "98,5",
            "muc_do": "A", "e_lan": "Biên bản kiểm tra mạng LAN số 12"}


def form_url(submission) -> str:
    return reverse("returns:form", args=[submission.pk])
