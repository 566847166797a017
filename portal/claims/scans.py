"""Invoice scans: checked by their content, stored outside the static folder under random names."""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from portal.core.uploads import UploadKind, store_upload, stored_file

SCAN = UploadKind(folder="claims", field="scan", default_name="scan",
                  wrong_type=_l("The scan must be a PDF, JPEG or PNG file."),
                  too_large=_l("The scan is larger than 10 MB."))


def store_scan(filename: str, content: bytes) -> tuple[str, str, str]:
    """Check and store an uploaded scan. Returns (stored name, original name, mimetype)."""
    return store_upload(SCAN, filename, content)


def scan_file(stored: str) -> Path:
    return stored_file(SCAN, stored)
