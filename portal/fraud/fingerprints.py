"""A scan's fingerprints: the file's SHA-256, for an image its perceptual hash (imagehash's pHash), for a PDF a
similarity hash of its text (a 64-bit simhash over word pairs, written here: no kept library does just that)."""

import hashlib
import logging
import re
import threading
from collections import OrderedDict

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


MIN_WORDS = 12  # fewer words than this is no text to compare (a PDF of a scanned picture has none)
MAX_PAGES = 5  # an invoice's text is on its first pages; a long appendix is not read


def normalised_words(text: str) -> list[str]:
    """The text's words in lower case, punctuation and spacing dropped, digits kept (numbers, dates and sums are
    part of what makes two invoices the same)."""
    return re.findall(r"\w+", (text or "").lower())


def simhash(words: list[str]) -> str | None:
    """A 64-bit similarity hash (hex) of the text's word pairs: two texts differing in a few words differ in a few
    bits. None for a text too short to compare."""
    if len(words) < MIN_WORDS:
        return None
    weights = [0] * 64
    for pair in {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}:
        value = int.from_bytes(hashlib.blake2b(pair.encode(), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if value >> bit & 1 else -1
    return f"{sum(1 << bit for bit in range(64) if weights[bit] > 0):016x}"


def pdf_text(path) -> str | None:
    """The text of a PDF's first pages; None when it cannot be read (a broken file, a password)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path)
        return "\n".join(page.extract_text() or "" for page in reader.pages[:MAX_PAGES])
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError):
        log.info("the text of PDF scan %s could not be read: scored without its text", path.name)
        return None


def text_simhash(path) -> str | None:
    text = pdf_text(path)
    return simhash(normalised_words(text)) if text else None


def fingerprint(stored: str | None, mimetype: str | None) -> tuple[str | None, str | None, str | None]:
    """(SHA-256, pHash, text simhash) of a stored scan: the pHash of an image, the simhash of a PDF's text; all None
    without a scan or when its file is missing."""
    if not stored:
        return None, None, None
    path = scan_file(stored)
    try:
        content = path.read_bytes()
    except OSError:
        log.warning("scan %s of a claim is missing: scored without its fingerprints", stored)
        return None, None, None
    kind = mimetype or ""
    phash = image_phash(path) if kind.startswith("image/") else None
    text = text_simhash(path) if kind == "application/pdf" or content[:5] == b"%PDF-" else None
    return hashlib.sha256(content).hexdigest(), phash, text


# Fingerprints taken as scans are stored (before the request writes anything), kept by stored name until the
# claim is scored: scoring then reads no file. A scan stored and never submitted (a draft, a form sent back) falls
# out after AHEAD_KEPT newer ones; a claim scored in another process takes its fingerprints itself, as before.
AHEAD_KEPT = 256
_ahead: OrderedDict[str, tuple] = OrderedDict()
_ahead_lock = threading.Lock()


def take_ahead(stored: str, mimetype: str | None) -> None:
    """Fingerprint a scan just stored and keep the result for its claim's scoring. Never raises: a scan is never
    refused for its fingerprints (scoring takes them again)."""
    try:
        found = fingerprint(stored, mimetype)
    except Exception:  # noqa: BLE001 - a broken file is scored later without its fingerprints, never refused here
        log.exception("the fingerprints of scan %s could not be taken ahead", stored)
        return
    with _ahead_lock:
        _ahead[stored] = (mimetype, found)
        while len(_ahead) > AHEAD_KEPT:
            _ahead.popitem(last=False)


def taken_ahead(stored: str | None, mimetype: str | None) -> tuple[str | None, str | None, str | None] | None:
    """The fingerprints taken as the scan was stored (handed over once), None when this process took none."""
    if not stored:
        return None
    with _ahead_lock:
        kept = _ahead.pop(stored, None)
    return kept[1] if kept is not None and kept[0] == mimetype else None


def fingerprint_of(stored: str | None, mimetype: str | None) -> tuple[str | None, str | None, str | None]:
    """The scan's fingerprints: those taken as it was stored, else taken now from its file."""
    return taken_ahead(stored, mimetype) or fingerprint(stored, mimetype)
