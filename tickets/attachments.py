"""Attachment rules: what may be uploaded, and how it is stored."""

from __future__ import annotations

import mimetypes
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

ALLOWED_EXTENSIONS = frozenset(
    {
        ".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".bmp",
        ".txt", ".log", ".csv", ".json", ".xml", ".html", ".htm", ".md",
        ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".ods", ".odp",
        ".zip", ".7z", ".gz", ".eml", ".msg", ".har",
    }
)  # fmt: skip
MAX_FILES = 5


def validate_uploads(files: list[UploadedFile]) -> None:
    """Raise a ValidationError naming each file that breaks a limit."""
    if len(files) > MAX_FILES:
        raise ValidationError(f"Attach at most {MAX_FILES} files at a time.")
    limit_mb = settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)
    errors = []
    for upload in files:
        name = PurePath(upload.name or "").name
        if PurePath(name).suffix.lower() not in ALLOWED_EXTENSIONS:
            errors.append(f"{name}: this type of file can't be attached.")
        elif upload.size is None or upload.size > settings.ATTACHMENT_MAX_BYTES:
            errors.append(f"{name}: files can be at most {limit_mb} MB.")
        elif upload.size == 0:
            errors.append(f"{name}: the file is empty.")
    if errors:
        raise ValidationError(errors)


def guess_content_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def clean_filename(name: str) -> str:
    """Keep the visible name short and free of path parts and control characters."""
    name = PurePath(name.replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>')
    return name[-150:] or "attachment"
