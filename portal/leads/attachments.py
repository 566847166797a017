"""Lead attachments: the same rules as invoice scans (checked by content, random names, outside static)."""

import secrets
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.claims.scans import SIGNATURES
from portal.core.errors import DomainError

MAX_FILES = 5


def store_attachment(filename: str, content: bytes) -> tuple[str, str, str]:
    """Check and store an uploaded file. Returns (stored name, original name, mimetype)."""
    if not content:
        raise DomainError(_l("The file is empty."), field="attachments")
    if len(content) > current_app.config["SCAN_MAX_BYTES"]:
        raise DomainError(_l("A file is larger than 10 MB."), field="attachments")
    kind = next(((mime, ext) for magic, mime, ext in SIGNATURES if content.startswith(magic)), None)
    if kind is None:
        raise DomainError(_l("Attach PDF, JPEG or PNG files."), field="attachments")
    mimetype, extension = kind
    directory = Path(current_app.config["UPLOAD_DIR"]) / "leads"
    directory.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(16) + extension
    (directory / stored).write_bytes(content)
    original = Path(filename or "file").name[:200] or "file"
    return stored, original, mimetype


def attachment_file(stored: str) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "leads" / Path(stored).name
