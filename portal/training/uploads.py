"""Lesson attachments: PDFs and images, checked by content, stored outside the static folder."""

import secrets
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.core.errors import DomainError
from portal.core.uploads import checked_content, sniff


def store_attachment(filename: str, content: bytes) -> tuple[str, str, str]:
    if sniff(content) is None:
        raise DomainError(_l("Attach a PDF, JPEG or PNG file."), field="attachment")
    if len(content) > current_app.config["SCAN_MAX_BYTES"]:
        raise DomainError(_l("The file is larger than 10 MB."), field="attachment")
    content, mimetype, extension = checked_content(content, "attachment", _l("Attach a PDF, JPEG or PNG file."))
    directory = Path(current_app.config["UPLOAD_DIR"]) / "training"
    directory.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(16) + extension
    (directory / stored).write_bytes(content)
    return stored, Path(filename or "file").name[:200], mimetype


def attachment_file(stored: str) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "training" / Path(stored).name
