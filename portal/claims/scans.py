"""Invoice scans: checked by their content, stored outside the static folder under random names. A UPD (the
e-invoice itself, XML) is the best scan there is: it is kept as it came once it reads as a UPD."""

from collections.abc import Callable
from pathlib import Path

from flask_babel import lazy_gettext as _l

from portal.core.errors import DomainError
from portal.core.uploads import UploadKind, store_upload, stored_file

from .upd.reader import looks_like_xml, read_upd

PENDING_SCAN = "claims.pending-scan"  # a token keeping a stored scan across a form that comes back with errors


def _upd_document(content: bytes) -> tuple[str, str] | None:
    if not looks_like_xml(content):
        return None
    try:
        read_upd(content)
    except DomainError as exc:
        raise DomainError(exc.message, field="scan") from exc
    return "application/xml", ".xml"


SCAN = UploadKind(folder="claims", field="scan", default_name="scan",
                  wrong_type=_l("The scan must be a PDF, JPEG or PNG file."),
                  too_large=_l("The scan is larger than 10 MB."), document=_upd_document)


# Called with (stored name, mimetype) as each scan is stored: the forms and the API store a scan before their first
# write, so work done here (fraud takes the scan's fingerprints) stays out of the database's write lock. A hook
# never refuses a scan. Claims never import fraud: fraud appends its hook at start-up.
SCAN_STORED: list[Callable[[str, str], None]] = []


def store_scan(filename: str, content: bytes) -> tuple[str, str, str]:
    """Check and store an uploaded scan. Returns (stored name, original name, mimetype)."""
    stored = store_upload(SCAN, filename, content)
    for hook in SCAN_STORED:
        hook(stored[0], stored[2])
    return stored


def scan_file(stored: str) -> Path:
    return stored_file(SCAN, stored)
