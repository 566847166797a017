"""Tables people download: CSV that opens right in a Russian Excel, and real XLSX."""

import csv
import io
from datetime import date, datetime

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Font


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
