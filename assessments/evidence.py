"""Evidence files (tài liệu kiểm chứng): checked by their content, stored once per hash.

A file's type is decided by its bytes, never by its name: PDF, PNG, JPEG, Office Open XML
documents (DOCX, XLSX: a zip archive holding ``[Content_Types].xml``) and OpenDocument
text (ODT). Files larger than ``settings.EVIDENCE_MAX_BYTES`` (default 20 MB) are refused.
The bytes live in ``MEDIA_ROOT/evidence/`` under their SHA-256, outside any public URL;
they are served only by the access-checked download view.
"""

from __future__ import annotations

import hashlib
import io
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .models import EvidenceBlob

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
CHUNK = 1024 * 1024

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"

#: What a unit may upload, as said in messages.
ACCEPTED = "PDF, PNG, JPEG, DOCX, XLSX, ODT"
#: File name extensions for the download's name (the stored type decides, not the upload's).
EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg", DOCX: ".docx", XLSX: ".xlsx", ODT: ".odt"}


def max_bytes() -> int:
    return int(getattr(settings, "EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


def _zip_type(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = archive.read("mimetype")[:100].strip().decode("ascii", "replace")
                return ODT if mimetype == ODT else None
            if "[Content_Types].xml" not in names:
                return None
            if "word/document.xml" in names:
                return DOCX
            if "xl/workbook.xml" in names:
                return XLSX
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        return None
    return None


def sniff(data: bytes) -> str | None:
    """The content type of ``data`` from its magic bytes, or None when not accepted."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"PK\x03\x04"):
        return _zip_type(data)
    return None


def read_upload(upload) -> bytes:
    """The upload's bytes, refusing it as soon as it passes the size limit."""
    limit = max_bytes()
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ValidationError(_too_big(upload, size, limit))
    buffer = io.BytesIO()
    chunks = upload.chunks(CHUNK) if hasattr(upload, "chunks") else iter(
        lambda: upload.read(CHUNK), b"")
    for chunk in chunks:
        buffer.write(chunk)
        if buffer.tell() > limit:
            raise ValidationError(_too_big(upload, buffer.tell(), limit))
    return buffer.getvalue()


def _too_big(upload, size: int, limit: int) -> str:
    return _("Tệp %(name)s lớn hơn giới hạn %(max)s MB.") % {
        "name": getattr(upload, "name", ""), "max": f"{limit / 1024 / 1024:g}"}


def store_blob(upload) -> EvidenceBlob:
    """The stored blob for ``upload``'s bytes: checked (type by content, size), and created
    only when no blob with the same SHA-256 exists."""
    data = read_upload(upload)
    name = getattr(upload, "name", "") or ""
    if not data:
        raise ValidationError(_("Tệp %(name)s rỗng.") % {"name": name})
    content_type = sniff(data)
    if content_type is None:
        raise ValidationError(_("Tệp %(name)s không phải là loại được nhận (%(types)s); loại tệp "
                                "được xác định theo nội dung, không theo tên.")
                              % {"name": name, "types": ACCEPTED})
    digest = hashlib.sha256(data).hexdigest()
    blob = EvidenceBlob.objects.filter(sha256=digest).first()
    if blob is not None:
        return blob
    blob = EvidenceBlob(sha256=digest, size=len(data), content_type=content_type)
    try:
        with transaction.atomic():
            blob.file.save(digest, ContentFile(data), save=False)
            blob.save()
    except IntegrityError:  # stored meanwhile by someone else
        return EvidenceBlob.objects.get(sha256=digest)
    return blob


def download_name(evidence) -> str:
    """The name a download is offered under: the original name, with the stored type's
    extension when the original name has another one."""
    name = evidence.original_name or evidence.blob.sha256[:12]
    extension = EXTENSIONS.get(evidence.blob.content_type, "")
    if extension and not name.lower().endswith(extension):
        if not (extension == ".jpg" and name.lower().endswith(".jpeg")):
            name += extension
    return name
