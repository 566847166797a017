"""The sales export carries each claim's risk: the score and its top signals in words, in the reader's language,
in CSV and XLSX (claims never import fraud: fraud adds the columns through the export's hook)."""

import csv
import io

from openpyxl import load_workbook

from portal.auth.models import User
from portal.extensions import db
from tests.fraud.test_views import (
    scene,  # noqa: F401 - the fixture: a calm claim and a copy of its scan
    uploads,  # noqa: F401
)


def _csv(response, delimiter: str) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=delimiter))


def _by_claim(header: list, rows: list) -> dict:
    return {int(row[0]): (row[-2], row[-1]) for row in rows}


def test_the_sales_csv_has_the_risk_and_its_signals_in_russian(client, login, scene):  # noqa: F811
    login("boss@example.test")
    header, *rows = _csv(client.get("/console/claims/export.csv?status="), ";")
    assert header[-2:] == ["Риск", "Сигналы риска"]
    found = _by_claim(header, rows)
    assert found[scene["calm"]] == ("0", "")
    score, words = found[scene["copy"]]
    assert int(score) >= 50 and "Тот же самый файл скана приложен" in words


def test_the_sales_csv_has_the_risk_and_its_signals_in_english(app, client, login, scene):  # noqa: F811
    with app.app_context():
        db.session.query(User).filter_by(email="boss@example.test").update({"locale": "en"})
        db.session.commit()
    login("boss@example.test")
    header, *rows = _csv(client.get("/console/claims/export.csv?status="), ",")
    assert header[-2:] == ["Risk", "Risk signals"]
    assert "The very same scan file is attached to 1 other claim(s)." in _by_claim(header, rows)[scene["copy"]][1]


def test_the_sales_xlsx_has_the_risk_as_a_number_and_the_signals_as_text(client, login, scene):  # noqa: F811
    login("boss@example.test")
    sheet = load_workbook(io.BytesIO(client.get("/console/claims/export.xlsx?status=").data)).active
    header = [cell.value for cell in sheet[1]]
    assert header[-2:] == ["Риск", "Сигналы риска"]
    rows = {row[0]: row[-2:] for row in sheet.iter_rows(min_row=2, values_only=True)}
    score, words = rows[scene["copy"]]
    assert isinstance(score, int) and score >= 50 and words.startswith("Тот же самый файл скана")
    assert rows[scene["calm"]] == (0, None)
