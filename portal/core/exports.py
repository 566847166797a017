"""Tables people download, written by one writer: CSV that opens right in the reader's Excel, and real XLSX.

Columns are typed (`Column(title, MONEY)`), so a value is formatted by what it is and in the reader's language:
money is stored in kopecks and written in roubles, percentages as percentages, moments (stored in naive UTC) in
the program's time zone to the second. A Russian CSV is separated by semicolons with a decimal comma and a BOM
(what Excel with Russian regional settings expects); an English one by commas with a decimal dot. XLSX gets
number formats, a frozen bold header row, filters and column widths.

Large tables go through `export_response`: builders registered with `export_builder` run in the request when
the table is small and in the worker (portal/ops/exports.py) when it is large. The two hooks below are how this
module reaches the export jobs and the worker without importing them: create_app connects them at start.
"""

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Response, current_app, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from portal.core.errors import DomainError
from portal.core.hooks import Hook
from portal.core.time import program_zone
from portal.extensions import db

TEXT, INT, NUMBER, MONEY, PERCENT, DATE, DATETIME = "text", "int", "number", "money", "percent", "date", "datetime"

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel formats: it shows them with the reader's own separators, so one code serves both languages.
XLSX_FORMATS = {INT: "#,##0", NUMBER: "#,##0.##", MONEY: "#,##0.00", PERCENT: "0.0%"}
DATE_FORMATS = {"ru": ("DD.MM.YYYY", "DD.MM.YYYY HH:MM:SS", "%d.%m.%Y", "%d.%m.%Y %H:%M:%S"),
                "en": ("YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S")}
WIDTHS = {INT: 10, NUMBER: 12, MONEY: 14, PERCENT: 9, DATE: 12, DATETIME: 20, TEXT: 14}


@dataclass(frozen=True)
class Column:
    """A column's title (already in the reader's language) and what its values are:
    TEXT, INT, NUMBER, MONEY (kopecks, written in roubles), PERCENT (93.4 for 93.4 %), DATE or DATETIME (a stored,
    naive UTC moment, written in the program's time zone)."""

    title: str
    kind: str = TEXT


@dataclass(frozen=True)
class Typed:
    """One value typed on its own, in a column that mixes kinds (a KPI per row: money in one, counts in the next)."""

    value: object
    kind: str


@dataclass
class Table:
    """What an export builder returns: rows are produced lazily, `total` says how many to expect."""

    filename: str  # without the extension
    sheet_title: str
    header: list  # Column, or a plain title whose values are written as they come
    rows: Iterable[Sequence]
    total: int


def columns(header) -> list[Column]:
    return [h if isinstance(h, Column) else Column(str(h), "") for h in header]


def _language() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "ru"


def local_moment(moment: datetime) -> datetime:
    """A stored (naive UTC) moment as the program's wall-clock time, to the second, for a spreadsheet cell."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(tzinfo=UTC).astimezone(program_zone()).replace(tzinfo=None, microsecond=0)


def cell_value(value, kind: str):
    """The value a cell holds: roubles for money, a fraction for a percentage, local time for a moment."""
    if value is None or value == "":
        return None
    if kind == MONEY:
        return Decimal(int(value)) / 100
    if kind == PERCENT:
        return Decimal(str(value)) / 100
    if kind == INT:
        return int(value)
    if kind == DATETIME or (not kind and isinstance(value, datetime)):
        return local_moment(value)
    if kind == TEXT:
        return str(value)
    if isinstance(value, float):
        return Decimal(str(round(value, 6)))
    return value if isinstance(value, int | Decimal | date | str) else str(value)


def csv_text(value, kind: str, language: str) -> str:
    """A value as CSV text for the reader's Excel: a decimal comma in Russian, dates the way it reads them."""
    if isinstance(value, Typed):
        value, kind = value.value, value.kind
    value = cell_value(value, kind)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(DATE_FORMATS[language][3])
    if isinstance(value, date):
        return value.strftime(DATE_FORMATS[language][2])
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, Decimal | float | int):
        if kind == PERCENT:
            value = value * 100
        text = format(Decimal(value).quantize(Decimal("0.01")), "f") if kind == MONEY else _plain_number(value)
        return text.replace(".", ",") if language == "ru" else text
    return str(value)


def _plain_number(value) -> str:
    text = format(Decimal(str(value)).normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")


def write_csv(stream, table: Table, tick: Callable[[int], None] | None = None) -> int:
    """Write the table to a text stream; return the number of rows."""
    language = _language()
    kinds = [c.kind for c in columns(table.header)]
    writer = csv.writer(stream, delimiter=";" if language == "ru" else ",")
    writer.writerow([c.title for c in columns(table.header)])
    n = 0
    for row in table.rows:
        writer.writerow([csv_text(value, kind, language) for value, kind in zip(row, kinds, strict=False)])
        n += 1
        if tick:
            tick(n)
    return n


def write_xlsx(target, table: Table, tick: Callable[[int], None] | None = None, widths: list[int] | None = None) -> int:
    """Write the table as XLSX (openpyxl's write-only mode: constant memory) to a path or a binary stream:
    bold frozen header, filters on it, number formats by column type. Returns the number of rows."""
    language = _language()
    cols = columns(table.header)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(table.sheet_title)[:31] or "Sheet1")
    sheet.freeze_panes = "A2"
    for index, column in enumerate(cols):
        width = widths[index] if widths else max(len(column.title) + 2, WIDTHS.get(column.kind, 14))
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(width, 60)
    header = []
    for column in cols:
        cell = WriteOnlyCell(sheet, value=column.title)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    n = 0
    for row in table.rows:
        sheet.append([_xlsx_cell(sheet, value, c.kind, language) for value, c in zip(row, cols, strict=False)])
        n += 1
        if tick:
            tick(n)
    if cols:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{n + 1}"
    workbook.save(target)
    return n


def _xlsx_cell(sheet, value, kind: str, language: str):
    if isinstance(value, Typed):
        value, kind = value.value, value.kind
    value = cell_value(value, kind)
    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, datetime):
        cell.number_format = DATE_FORMATS[language][1]
    elif isinstance(value, date):
        cell.number_format = DATE_FORMATS[language][0]
    elif kind in XLSX_FORMATS:
        cell.number_format = XLSX_FORMATS[kind]
    return cell


def _shown_widths(table: Table, rows: list) -> list[int]:
    """Column widths from what a short table holds (a long one, streamed, sizes columns by type)."""
    cols = columns(table.header)
    widths = [len(c.title) + 2 for c in cols]
    for row in rows[:2000]:
        for index, (value, column) in enumerate(zip(row, cols, strict=False)):
            shown = WIDTHS.get(column.kind, 0) if column.kind not in (TEXT, "") else len(str(value or ""))
            widths[index] = max(widths[index], shown + 2)
    return widths


def table_response(table: Table, fmt: str) -> Response:
    """Send a table at once, as a download in `fmt` ("csv" or "xlsx")."""
    if fmt == "xlsx":
        rows = list(table.rows)
        buffer = io.BytesIO()
        write_xlsx(buffer, Table(table.filename, table.sheet_title, table.header, rows, len(rows)),
                   widths=_shown_widths(table, rows))
        return Response(buffer.getvalue(), mimetype=XLSX_MIMETYPE,
                        headers={"Content-Disposition": f'attachment; filename="{table.filename}.xlsx"'})
    out = io.StringIO()
    write_csv(out, table)
    # mimetype "text/csv": Werkzeug adds the charset itself (once).
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{table.filename}.csv"'})


def csv_response(filename: str, header: list, rows) -> Response:
    return table_response(Table(filename, filename, header, rows, 0), "csv")


def xlsx_response(filename: str, header: list, rows, sheet_title: str = "Sheet1") -> Response:
    return table_response(Table(filename, sheet_title, header, rows, 0), "xlsx")


# --- exports that may be large: immediate when small, written by the worker when large -----------------


EXPORT_BUILDERS: dict[str, Callable[[dict], Table]] = {}

#: start_background_export(owner, kind, params, fmt, title=, total=) -> the export job (flushed, with an `id`);
#: raises DomainError, with `job_id` when the owner's previous export is still running. portal/ops provides it.
start_background_export = Hook("the export jobs (portal.core.exports.start_background_export)")
#: hand_export_to_worker(job_id), after the job is committed. The worker (portal/worker.py) provides it.
hand_export_to_worker = Hook("the worker's export queue (portal.core.exports.hand_export_to_worker)")


def export_builder(kind: str):
    """Register `builder(params) -> Table` under `kind`. Params are JSON (ints, strings, ISO dates): the worker
    calls the builder again, in the owner's language, without a request."""

    def register(builder):
        EXPORT_BUILDERS[kind] = builder
        return builder

    return register


def export_response(kind: str, params: dict, fmt: str) -> Response:
    """Send a small table at once; over EXPORT_BACKGROUND_ROWS rows, start a background export (one running
    per person) and send the person to its progress page. Commits when it starts one."""
    table = EXPORT_BUILDERS[kind](params)
    if table.total <= current_app.config["EXPORT_BACKGROUND_ROWS"]:
        return table_response(table, fmt)
    try:
        job = start_background_export(current_user, kind, params, fmt, title=table.sheet_title, total=table.total)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "warning")
        return redirect(url_for("ops.export_progress", job_id=exc.job_id) if getattr(exc, "job_id", None)
                        else request.referrer or url_for("home.dashboard"))
    db.session.commit()
    hand_export_to_worker(job.id)
    return redirect(url_for("ops.export_progress", job_id=job.id))
