"""The import frame reads the tables people have: CSV with ; or , in UTF-8 (with or without BOM) or cp1251,
XLSX with merged cells and formulas; refuses what is not a table with a clear message; keeps a file between
the preview and the confirmation only for the person who uploaded it."""

import io
import re
import zipfile

import pytest
from openpyxl import Workbook

from portal.core import imports
from portal.core.errors import DomainError


def xlsx(rows, merge=None) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    if merge:
        book.active.merge_cells(merge)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_cached_formula(content: bytes, cell: str, formula: str, value: str) -> bytes:
    """The workbook with `cell` holding a formula and the value Excel computed for it, as Excel saves it."""
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rf'<c r="{cell}"[^>]*?(/>|>.*?</c>)'.encode(),
                              f'<c r="{cell}"><f>{formula}</f><v>{value}</v></c>'.encode(), data)
            target.writestr(item, data)
    return out.getvalue()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251"])
@pytest.mark.parametrize("delimiter", [";", ","])
def test_csv_in_the_encodings_and_delimiters_people_save(encoding, delimiter):
    text = f'КПЭ{delimiter}Апрель\r\n"Активно участвуют, регистрируют продажи"{delimiter}90\r\n'
    assert imports.read_table("plan.csv", text.encode(encoding)) == [
        ["КПЭ", "Апрель"], ["Активно участвуют, регистрируют продажи", "90"]]


def test_xlsx_merged_cells_and_formulas_read_as_values(app):
    content = xlsx([["KPI", "Total", "Apr"], ["a", 700, 0], ["b", 5, 6], ["c", 7, 8]], merge="A3:A4")
    content = with_cached_formula(content, "C2", "B2*2", "1400")
    rows = imports.read_table("plan.xlsx", content)
    assert rows[1] == ["a", 700, 1400]
    assert [r[0] for r in rows[2:]] == ["b", "b"]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("plan.csv", b"", "The file is empty."),
    ("plan.csv", b" \r\n\r\n", "The file is empty."),
    ("plan.xlsx", xlsx([]), "The file is empty."),
    ("plan.xlsx", b"PK\x03\x04nonsense", "The file is not a readable XLSX workbook."),
    ("plan.doc", b"x", "Upload an XLSX or CSV file."),
    ("plan.csv", b"a;b\n" + b"1;2\n" * 11, "The file has too many rows: at most 10 at a time."),
    ("plan.csv", b"x" * (1024 * 1024 + 1), "The file is too large: at most 1 MB."),
])
def test_what_is_not_a_table_is_refused_with_a_message(app, name, content, message):
    with app.test_request_context(), pytest.raises(DomainError) as error:
        imports.read_table(name, content, max_rows=10, max_bytes=1024 * 1024)
    assert str(error.value.message) == message


def test_a_hundred_thousand_rows_read_and_one_more_is_refused(app):
    body = b"email;target\n" + b"a@b.test;5\n" * 100_000
    assert len(imports.read_table("plans.csv", body)) == 100_001
    with app.test_request_context(), pytest.raises(DomainError):
        imports.read_table("plans.csv", body + b"a@b.test;5\n")


def test_a_stashed_file_is_only_its_uploaders(app):
    with app.test_request_context():
        token = imports.stash_upload("plan.xlsx", b"content", owner_id=7)
        assert imports.stashed_upload(token, 7) == (imports.stashed_upload(token, 7)[0], b"content")
        assert imports.stashed_upload(token, 8) is None
        assert imports.stashed_upload(token[:-2] + "xx", 7) is None
        assert imports.stashed_upload("../../etc/passwd", 7) is None
        imports.drop_stash(token)
        assert imports.stashed_upload(token, 7) is None
