"""Lesson attachments: PDFs and images, checked by content, stored outside the static folder."""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from portal.core.uploads import UploadKind, store_upload, stored_file

ATTACHMENT = UploadKind(folder="training", field="attachment",
                        wrong_type=_l("Attach a PDF, JPEG or PNG file."), empty=_l("Attach a PDF, JPEG or PNG file."),
                        too_large=_l("The file is larger than 10 MB."))


def store_attachment(filename: str, content: bytes) -> tuple[str, str, str]:
    return store_upload(ATTACHMENT, filename, content)


def attachment_file(stored: str) -> Path:
    return stored_file(ATTACHMENT, stored)
