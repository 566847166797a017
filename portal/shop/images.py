"""Prize photos: checked by content, stored outside the static folder, with a thumbnail made by Pillow."""

import secrets
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.core.errors import DomainError
from portal.core.uploads import open_image

THUMB_SIZE = (360, 360)


def _directory() -> Path:
    directory = Path(current_app.config["UPLOAD_DIR"]) / "prizes"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def store_image(content: bytes) -> tuple[str, str]:
    """Save a photo as JPEG plus a thumbnail. Returns (image name, thumbnail name)."""
    if len(content) > current_app.config["SCAN_MAX_BYTES"]:
        raise DomainError(_l("The file is larger than 10 MB."), field="image")
    image = open_image(content, field="image").convert("RGB")  # re-encoded below: only the pixels are kept
    name = secrets.token_hex(12)
    image.thumbnail((1600, 1600))
    image.save(_directory() / f"{name}.jpg", "JPEG", quality=88)
    thumb = image.copy()
    thumb.thumbnail(THUMB_SIZE)
    thumb.save(_directory() / f"{name}-thumb.jpg", "JPEG", quality=85)
    return f"{name}.jpg", f"{name}-thumb.jpg"


def image_file(name: str) -> Path:
    return _directory() / Path(name).name
