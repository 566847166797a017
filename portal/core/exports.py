"""Tables people download: CSV that opens right in a Russian Excel, and real XLSX.

Large ones go through `export_response`: builders registered with `export_builder` run in the request when
the table is small and in the worker (portal/ops/exports.py) when it is large. The two hooks below are how this
module reaches the export jobs and the worker without importing them: create_app connects them at start.
"""

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask import Response, current_app, flash, redirect, request, url_for
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.styles import Font

from portal.core.errors import DomainError
from portal.core.hooks import Hook
from portal.extensions import db


def csv_response(filename: str, header: list[str], rows) -> Response:
    out = io.StringIO()
    # A semicolon and a BOM: what Excel with Russian regional settings expects from a CSV file.
    writer = csv.writer(out, delimiter=";")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return Response(
        "\ufeff" + out.getvalue(), mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


def xlsx_response(filename: str, header: list[str], rows, sheet_title: str = "Sheet1") -> Response:
    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = sheet_title[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(str(h)) for h in header]
    for row in rows:
        sheet.append(list(row))
        widths = [max(w, len(_text(v))) for w, v in zip(widths, row, strict=False)]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = min(width + 2, 80)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, datetime):
                cell.number_format = "DD.MM.YYYY HH:MM"
            elif isinstance(cell.value, date):
                cell.number_format = "DD.MM.YYYY"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Response(
        buffer.getvalue(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'},
    )


def _text(value) -> str:
    if isinstance(value, datetime):
        return "00.00.0000 00:00"
    return "" if value is None else str(value)


# --- exports that may be large: immediate when small, written by the worker when large -----------------


@dataclass
class Table:
    """What an export builder returns: rows are produced lazily, `total` says how many to expect."""

    filename: str  # without the extension
    sheet_title: str
    header: list[str]
    rows: Iterable[Sequence]
    total: int


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
        if fmt == "xlsx":
            return xlsx_response(table.filename, table.header, table.rows, sheet_title=table.sheet_title)
        return csv_response(table.filename, table.header, table.rows)
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
