"""Lesson attachments: PDFs and images, checked by content, stored outside the static folder."""

import secrets
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.claims.scans import SIGNATURES
from portal.core.errors import DomainError


def store_attachment(filename: str, content: bytes) -> tuple[str, str, str]:
    kind = next(((mime, ext) for magic, mime, ext in SIGNATURES if content.startswith(magic)), None)
    if kind is None:
        raise DomainError(_l("Attach a PDF, JPEG or PNG file."), field="attachment")
    if len(content) > current_app.config["SCAN_MAX_BYTES"]:
        raise DomainError(_l("The file is larger than 10 MB."), field="attachment")
    directory = Path(current_app.config["UPLOAD_DIR"]) / "training"
    directory.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(16) + kind[1]
    (directory / stored).write_bytes(content)
    return stored, Path(filename or "file").name[:200], kind[0]


def attachment_file(stored: str) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "training" / Path(stored).name
