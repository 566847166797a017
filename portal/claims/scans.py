"""Invoice scans: checked by their content, stored outside the static folder under random names."""

import secrets
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.core.errors import DomainError
from portal.core.uploads import checked_content


def store_scan(filename: str, content: bytes) -> tuple[str, str, str]:
    """Check and store an uploaded scan. Returns (stored name, original name, mimetype)."""
    if not content:
        raise DomainError(_l("The file is empty."), field="scan")
    if len(content) > current_app.config["SCAN_MAX_BYTES"]:
        raise DomainError(_l("The scan is larger than 10 MB."), field="scan")
    content, mimetype, extension = checked_content(content, "scan", _l("The scan must be a PDF, JPEG or PNG file."))
    directory = Path(current_app.config["UPLOAD_DIR"]) / "claims"
    directory.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(16) + extension
    (directory / stored).write_bytes(content)
    original = Path(filename or "scan").name[:200] or "scan"
    return stored, original, mimetype


def scan_file(stored: str) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "claims" / Path(stored).name
