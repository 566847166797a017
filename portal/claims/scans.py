"""Invoice scans: checked by their content, stored outside the static folder under random names."""

import secrets
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.core.errors import DomainError
from portal.core.uploads import checked_content

from .upd.reader import looks_like_xml, read_upd

PENDING_SCAN = "claims.pending-scan"  # a token keeping a stored scan across a form that comes back with errors


def store_scan(filename: str, content: bytes) -> tuple[str, str, str]:
    """Check and store an uploaded scan. Returns (stored name, original name, mimetype)."""
    if not content:
        raise DomainError(_l("The file is empty."), field="scan")
    if len(content) > current_app.config["SCAN_MAX_BYTES"]:
        raise DomainError(_l("The scan is larger than 10 MB."), field="scan")
    if looks_like_xml(content):
        # A UPD (the e-invoice itself) is the best scan there is: kept as it came once it reads as a UPD.
        try:
            read_upd(content)
        except DomainError as exc:
            raise DomainError(exc.message, field="scan") from exc
        mimetype, extension = "application/xml", ".xml"
    else:
        content, mimetype, extension = checked_content(content, "scan",
                                                       _l("The scan must be a PDF, JPEG or PNG file."))
    directory = Path(current_app.config["UPLOAD_DIR"]) / "claims"
    directory.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(16) + extension
    (directory / stored).write_bytes(content)
    original = Path(filename or "scan").name[:200] or "scan"
    return stored, original, mimetype


def scan_file(stored: str) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "claims" / Path(stored).name
