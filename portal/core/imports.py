"""The one import frame: read the table people have (CSV with ; or , in UTF-8 or cp1251, or XLSX), stash the
file under a signed token between the preview and the confirmation, and hand out a template to fill in.

Every import reads its file twice: once to show the preview (what was read, what will change, what is wrong, row
by row), and again on confirmation from the stashed copy, so the write sees exactly the file that was previewed
and writes all of it or nothing.
"""

import csv
import io
import re
import secrets
import time
from datetime import timedelta
from pathlib import Path

from flask import Response, current_app
from flask_babel import lazy_gettext as _l

from portal.core.errors import DomainError
from portal.core.exports import csv_response, xlsx_response
from portal.core.tokens import TokenExpired, TokenInvalid, make_token, read_token

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
STASH_MAX_AGE = timedelta(hours=2)
EXTENSIONS = (".csv", ".xlsx")
DELIMITERS = (";", ",", "\t")
_STASHED = re.compile(r"^[0-9a-f]{32}\.(csv|xlsx)$")


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def decode_text(content: bytes) -> str:
    """A CSV file's text: UTF-8 (with or without a byte-order mark), else Windows-1251 (Excel's Russian CSV)."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1251", errors="replace")


def _delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most columns, the same number in each (';' wins ties:
    a Russian Excel writes it, and a comma is also the decimal mark)."""
    sample = text[:16384].splitlines()[:20]
    best, best_score = ";", (-1, -1)
    for delimiter in DELIMITERS:
        widths = [len(row) for row in csv.reader(sample, delimiter=delimiter) if any(c.strip() for c in row)]
        if not widths:
            continue
        score = (sum(1 for w in widths if w == widths[0] and w > 1), widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(content: bytes) -> list[list]:
    text = decode_text(content).replace("\x00", "")
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))]
    except csv.Error as exc:
        raise DomainError(_l("The file is not a readable CSV table."), field="file") from exc


def _read_xlsx(content: bytes) -> list[list]:
    """The first sheet's values: formulas as their computed values, a merged cell's value in every cell it
    covers. Through calamine (Rust): 100,000 rows in about a second."""
    from python_calamine import CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
        rows = [list(row) for row in sheet.to_python(skip_empty_area=False)]
        merged = sheet.merged_cell_ranges or []
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook gets the same message
        raise DomainError(_l("The file is not a readable XLSX workbook."), field="file") from exc
    for (top, left), (bottom, right) in merged:
        if top >= len(rows) or left >= len(rows[top]):
            continue
        value = rows[top][left]
        for r in range(top, min(bottom, len(rows) - 1) + 1):
            row = rows[r]
            row.extend([""] * (right + 1 - len(row)))
            for c in range(left, right + 1):
                row[c] = value
    return [[None if value == "" else value for value in row] for row in rows]


def read_table(filename: str, content: bytes, *, max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES) -> list[list]:
    """The rows of an uploaded CSV or XLSX file, header first, trailing blank rows dropped. A DomainError with a
    translated message (field 'file') for anything that is not such a table: no file, the wrong kind, too large,
    empty, too many rows."""
    name = (filename or "").lower()
    if not name.endswith(EXTENSIONS):
        raise DomainError(_l("Upload an XLSX or CSV file."), field="file")
    if len(content) > max_bytes:
        raise DomainError(_l("The file is too large: at most %(n)s MB.", n=max_bytes // (1024 * 1024)),
                          field="file")
    if not content.strip():
        raise DomainError(_l("The file is empty."), field="file")
    rows = _read_xlsx(content) if name.endswith(".xlsx") else _read_csv(content)
    while rows and all(_blank(value) for value in rows[-1]):
        rows.pop()
    if not rows:
        raise DomainError(_l("The file is empty."), field="file")
    if len(rows) - 1 > max_rows:
        raise DomainError(_l("The file has too many rows: at most %(n)s at a time.", n=max_rows),
                          field="file")
    return rows


# --- the file between the preview and the confirmation -----------------------------------------------------


def _stash_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "imports"


def stash_upload(filename: str, content: bytes, owner_id: int) -> str:
    """Keep an uploaded file until its import is confirmed. Returns a signed token naming it and its owner."""
    name = secrets.token_hex(16) + (".xlsx" if (filename or "").lower().endswith(".xlsx") else ".csv")
    folder = _stash_dir()
    folder.mkdir(parents=True, exist_ok=True)
    _drop_expired(folder)
    (folder / name).write_bytes(content)
    return make_token("import", {"file": name, "owner": owner_id})


def _drop_expired(folder: Path) -> None:
    """Files of previews nobody confirmed: their tokens have expired, so nothing can read them any more."""
    oldest = time.time() - STASH_MAX_AGE.total_seconds()
    for path in folder.glob("*.*"):
        if _STASHED.match(path.name) and path.stat().st_mtime < oldest:
            path.unlink(missing_ok=True)


def stashed_upload(token: str, owner_id: int) -> tuple[str, bytes] | None:
    """(file name, content) of a stashed file, or None when the token is forged, expired, another person's or
    its file is gone."""
    try:
        payload = read_token("import", token or "", STASH_MAX_AGE)
    except (TokenExpired, TokenInvalid):
        return None
    if not isinstance(payload, dict) or payload.get("owner") != owner_id:
        return None
    path = _stash_dir() / Path(str(payload.get("file", ""))).name
    if not path.name or not path.is_file():
        return None
    return path.name, path.read_bytes()


def drop_stash(token: str) -> None:
    try:
        payload = read_token("import", token or "", STASH_MAX_AGE)
    except (TokenExpired, TokenInvalid):
        return
    if isinstance(payload, dict):
        (_stash_dir() / Path(str(payload.get("file", ""))).name).unlink(missing_ok=True)


def table_response(fmt: str, filename: str, header: list[str], rows, sheet_title: str = "Sheet1") -> Response:
    """A template to fill in (or an export to re-import) as CSV (';', UTF-8 with BOM) or XLSX."""
    if fmt == "csv":
        return csv_response(filename, header, rows)
    return xlsx_response(filename, header, rows, sheet_title)
