"""Lead attachments: the same rules as invoice scans (checked by content, random names, outside static)."""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from portal.core.uploads import UploadKind, store_upload, stored_file

MAX_FILES = 5
ATTACHMENT = UploadKind(folder="leads", field="attachments",
                        wrong_type=_l("Attach PDF, JPEG or PNG files."),
                        too_large=_l("A file is larger than 10 MB."))


def store_attachment(filename: str, content: bytes) -> tuple[str, str, str]:
    """Check and store an uploaded file. Returns (stored name, original name, mimetype)."""
    return store_upload(ATTACHMENT, filename, content)


def attachment_file(stored: str) -> Path:
    return stored_file(ATTACHMENT, stored)
