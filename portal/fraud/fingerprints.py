"""A scan's fingerprints: the file's SHA-256 and, for an image, its perceptual hash (imagehash's pHash)."""

import hashlib
import logging

from portal.claims.scans import scan_file

log = logging.getLogger(__name__)


def band_values(phash: str | None) -> tuple[str | None, ...]:
    """The four 16-bit bands of a 64-bit hash (hex): two images at most three bits apart share one."""
    if not phash or len(phash) != 16:
        return (None, None, None, None)
    return tuple(phash[i:i + 4] for i in range(0, 16, 4))


def distance(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def image_phash(path) -> str | None:
    import imagehash
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return str(imagehash.phash(image))
    except (OSError, UnidentifiedImageError, ValueError):
        return None  # not an image we can read: the file's hash still counts


def fingerprint(stored: str | None, mimetype: str | None) -> tuple[str | None, str | None]:
    """(SHA-256, pHash) of a stored scan; (None, None) without a scan or when its file is missing."""
    if not stored:
        return None, None
    path = scan_file(stored)
    try:
        content = path.read_bytes()
    except OSError:
        log.warning("scan %s of a claim is missing: scored without its fingerprints", stored)
        return None, None
    phash = image_phash(path) if (mimetype or "").startswith("image/") else None
    return hashlib.sha256(content).hexdigest(), phash
