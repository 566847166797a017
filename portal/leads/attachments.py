"""Lead attachments: the same rules as invoice scans (checked by content, random names, outside static)."""

import secrets
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.core.errors import DomainError
from portal.core.uploads import checked_content

MAX_FILES = 5


def store_attachment(filename: str, content: bytes) -> tuple[str, str, str]:
    """Check and store an uploaded file. Returns (stored name, original name, mimetype)."""
    if not content:
        raise DomainError(_l("The file is empty."), field="attachments")
    if len(content) > current_app.config["SCAN_MAX_BYTES"]:
        raise DomainError(_l("A file is larger than 10 MB."), field="attachments")
    content, mimetype, extension = checked_content(content, "attachments", _l("Attach PDF, JPEG or PNG files."))
    directory = Path(current_app.config["UPLOAD_DIR"]) / "leads"
    directory.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(16) + extension
    (directory / stored).write_bytes(content)
    original = Path(filename or "file").name[:200] or "file"
    return stored, original, mimetype


def attachment_file(stored: str) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "leads" / Path(stored).name
