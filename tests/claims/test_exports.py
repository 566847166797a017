"""Sales from the review queue as a file: the queue's filters, a row per line with amounts in roubles, points,
status, reviewer and dates in the program's time zone; large ones are written by the worker."""

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from portal.auth.models import MANAGER
from portal.claims import services as claims
from portal.core.time import frozen_time
from portal.extensions import db
from tests.claims import factories as cf


@pytest.fixture
def queue_of_three(app, make):
    with app.app_context():
        cf.product()
        cf.product(sku="SPL-12", name="Сплит-система 12")
        cf.per_unit_rule(100)
        seller = make.user(full_name="Соколова Анна")
        manager = make.user(role=MANAGER, email="m@example.test", full_name="Петров Иван")
        with frozen_time(datetime(2026, 12, 7, 21, 30, 15, 123456)):  # 8 December, 00:30:15 in Moscow
            approved = cf.submitted(seller, number="СЧ-1", lines=[claims.LineData("SPL-09", 2, 4_900_050),
                                                                  claims.LineData("SPL-12", 1, 9_300_000)])
            claims.approve_claim(approved, manager)
        cf.submitted(seller, number="СЧ-2", lines=[claims.LineData("SPL-09", 1, 5_000_000)])
        cf.submitted(seller, number="СЧ-3", lines=[claims.LineData("SPL-09", 3, 4_000_000)])
        db.session.commit()
        return approved.id


def _csv(response) -> list[list[str]]:
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))


def test_the_sales_export_gives_a_row_per_line_with_roubles_points_and_the_reviewer(app, client, login,
                                                                                   queue_of_three):
    login("m@example.test")
    page = client.get("/console/claims?status=approved").get_data(as_text=True)
    assert "/console/claims/export.xlsx?status=approved" in page
    header, *rows = _csv(client.get("/console/claims/export.csv?status=approved"))
    assert header[:3] == ["Номер заявки", "Номер счёта", "Дата счёта"]
    assert [row[1] for row in rows] == ["СЧ-1", "СЧ-1"]
    first = dict(zip(header, rows[0], strict=True))
    assert first["Статус"] == "Одобрена" and first["Проверяющий"] == "Петров Иван"
    assert (first["Артикул"], first["Количество"], first["Цена, ₽"], first["Сумма строки, ₽"]) == (
        "SPL-09", "2", "49000,50", "98001,00")
    assert first["Сумма заявки, ₽"] == "191001,00" and first["Баллы за заявку"] == "300"
    assert first["Решение принято"] == "08.12.2026 00:30:15"  # Moscow time, no microseconds
    assert first["Участник"] == "Соколова Анна"


def test_the_sales_export_follows_the_queues_filters(app, client, login, queue_of_three):
    login("m@example.test")
    _header, *rows = _csv(client.get("/console/claims/export.csv?status=submitted&min=45000&sort=amount"))
    assert [row[1] for row in rows] == ["СЧ-3", "СЧ-2"]  # 120 000 and 50 000 RUB, largest first
    _header, *rows = _csv(client.get("/console/claims/export.csv?status=&q=СЧ-2"))
    assert [row[1] for row in rows] == ["СЧ-2"]
    _header, *rows = _csv(client.get("/console/claims/export.csv?company=nobody-at-all"))
    assert rows == []


def test_the_sales_xlsx_has_formats_a_frozen_header_and_filters(app, client, login, queue_of_three):
    login("m@example.test")
    sheet = load_workbook(io.BytesIO(client.get("/console/claims/export.xlsx?status=approved").data)).active
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:X3"  # with the risk columns
    header = [c.value for c in sheet[1]]
    price = sheet.cell(row=2, column=header.index("Цена, ₽") + 1)
    decided = sheet.cell(row=2, column=header.index("Решение принято") + 1)
    assert (float(price.value), price.number_format) == (49000.5, "#,##0.00")
    assert decided.value == datetime(2026, 12, 8, 0, 30, 15) and decided.number_format == "DD.MM.YYYY HH:MM:SS"


def test_a_large_sales_export_goes_to_the_worker(app, client, login, queue_of_three, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 1)
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    login("m@example.test")
    response = client.get("/console/claims/export.xlsx?status=approved")
    assert response.status_code == 302 and "/exports/" in response.headers["Location"]


def test_partners_cannot_download_sales(client, login, make):
    make.user(email="p@example.test")
    login("p@example.test")
    assert client.get("/console/claims/export.csv").status_code == 403
