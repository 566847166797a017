"""Uploaded files: told by their content, images re-encoded by Pillow, served so a browser never runs them.

A file that starts like a PDF, JPEG or PNG may carry HTML and script after the header (a polyglot). So:
- images are decoded and written again by Pillow, which keeps the pixels and drops everything else;
- scans and attachments are always served as downloads (`Content-Disposition: attachment`), with
  `nosniff` and a sandboxing Content-Security-Policy in case a browser opens them anyway;
- only pictures Pillow has just written are shown inline (prize photos, and image previews that are
  re-encoded as they are served).

Scans and attachments are kept by one function: a feature declares an `UploadKind` (its folder under
UPLOAD_DIR, the form field its errors belong to, its messages and the types it accepts), stores with
`store_upload(kind, filename, content)` and finds the file again with `stored_file(kind, stored)`.
"""

import io
import secrets
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Response, current_app, send_file
from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError

from portal.core.errors import DomainError
from portal.core.headers import FILE_POLICY

# What a file really is, told by its first bytes: the name and the browser's word are not trusted.
SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)
# A picture larger than this (in pixels) is refused before Pillow decodes it: a 60000 x 60000 PNG of a few
# kilobytes would take gigabytes of memory. 50 megapixels is far above any phone camera's scan.
MAX_IMAGE_PIXELS = 50_000_000
FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
PDF_AND_PICTURES = ("application/pdf", "image/jpeg", "image/png")


@dataclass(frozen=True)
class UploadKind:
    """One kind of uploaded file: where it is kept and what it may be. Messages are lazy_gettext strings."""

    folder: str  # under UPLOAD_DIR; only this kind's files are there
    field: str  # the form field an error is shown at
    wrong_type: object  # the content is none of `types`
    too_large: object  # larger than SCAN_MAX_BYTES
    default_name: str = "file"  # the original name when the browser sent none
    empty: object = None  # an empty file; None says "The file is empty."
    types: tuple[str, ...] = PDF_AND_PICTURES
    # A document format of the kind's own (a claim's UPD e-invoice): given the content, answers (mimetype,
    # extension) when it is one, after checking it (a DomainError says why not), or None for other content.
    document: Callable[[bytes], tuple[str, str] | None] | None = None


def sniff(content: bytes) -> tuple[str, str] | None:
    """(mimetype, extension) of a PDF, JPEG or PNG, told by its first bytes; None for anything else."""
    return next(((mime, ext) for magic, mime, ext in SIGNATURES if content.startswith(magic)), None)


def open_image(content: bytes, field: str) -> Image.Image:
    """Decode a picture fully, refusing what is not one and what is too large to decode safely."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise DomainError(_l("The picture is too large: at most %(n)s megapixels.",
                                     n=MAX_IMAGE_PIXELS // 1_000_000), field=field)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DomainError(_l("The picture is too large: at most %(n)s megapixels.",
                             n=MAX_IMAGE_PIXELS // 1_000_000), field=field) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise DomainError(_l("Upload a JPEG or PNG picture."), field=field) from exc
    return image


def reencode(content: bytes, mimetype: str, field: str) -> bytes:
    """The same picture written again by Pillow: no metadata, no trailing bytes, nothing but pixels."""
    image = open_image(content, field)
    fmt = FORMATS[mimetype]
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif fmt == "PNG" and image.mode not in ("RGB", "RGBA", "L", "LA", "P", "1"):
        image = image.convert("RGBA")
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": 90} if fmt == "JPEG" else {"optimize": False}))
    return out.getvalue()


def checked_content(content: bytes, field: str, wrong_type_message,
                    types: tuple[str, ...] = PDF_AND_PICTURES) -> tuple[bytes, str, str]:
    """Check an uploaded scan or attachment: (content to store, mimetype, extension). Images are re-encoded."""
    found = sniff(content)
    if found is None or found[0] not in types:
        raise DomainError(wrong_type_message, field=field)
    mimetype, extension = found
    if mimetype in FORMATS:
        content = reencode(content, mimetype, field)
    return content, mimetype, extension


def upload_folder(kind: UploadKind) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / kind.folder


def store_upload(kind: UploadKind, filename: str | None, content: bytes) -> tuple[str, str, str]:
    """Check an uploaded file against its kind and keep it under a random name in the kind's folder.

    Returns (stored name, original name, mimetype); the original name is only ever shown, never a path.
    """
    if not content:
        raise DomainError(kind.empty or _l("The file is empty."), field=kind.field)
    if len(content) > current_app.config["SCAN_MAX_BYTES"]:
        raise DomainError(kind.too_large, field=kind.field)
    document = kind.document(content) if kind.document else None
    if document is not None:
        mimetype, extension = document  # kept as it came: a document is evidence, never re-encoded
    else:
        content, mimetype, extension = checked_content(content, kind.field, kind.wrong_type, kind.types)
    directory = upload_folder(kind)
    directory.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(16) + extension
    (directory / stored).write_bytes(content)
    original = Path(filename or kind.default_name).name[:200] or kind.default_name
    return stored, original, mimetype


def stored_file(kind: UploadKind, stored: str) -> Path:
    """Where a file `store_upload` kept is: in its kind's folder, whatever the stored name says."""
    return upload_folder(kind) / Path(stored).name


def _harden(response: Response, cache: str = "no-store") -> Response:
    response.headers["Cache-Control"] = cache  # scans hold personal data: no browser or proxy keeps them
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_POLICY
    return response


def send_download(path: Path, mimetype: str, download_name: str) -> Response:
    """An uploaded file as a download, never rendered by the browser as a page."""
    response = send_file(path, mimetype=mimetype or "application/octet-stream", as_attachment=True,
                         download_name=download_name or path.name, max_age=0)
    return _harden(response)


def send_image_preview(path: Path, download_name: str) -> Response:
    """An uploaded picture shown inline, as a JPEG Pillow writes now (so even files stored before
    re-encoding existed are shown only as pixels)."""
    image = open_image(path.read_bytes(), field="file")
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    out.seek(0)
    response = send_file(out, mimetype="image/jpeg", download_name=Path(download_name or "image").stem + ".jpg",
                         max_age=0)
    return _harden(response)


def send_reencoded_image(path: Path) -> Response:
    """A picture the portal wrote itself with Pillow (prize photos), inline."""
    return _harden(send_file(path, mimetype="image/jpeg"), cache="private, max-age=86400")
