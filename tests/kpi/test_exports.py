"""The KPI table and the budget as files: Russian headers, roubles with a decimal comma in a semicolon CSV, XLSX
with number formats, a frozen header and filters; the same figures as the pages show."""

import csv
import io
from datetime import date, datetime

from openpyxl import load_workbook

from portal.core.time import frozen_time
from portal.extensions import db
from portal.kpi import budget, plan, stages
from portal.kpi.models import PROGRAM
from portal.ledger import services as ledger
from tests.kpi.test_reports_budget import _december

NOW = datetime(2026, 12, 7, 9)


def _rows(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def _program(app, make):
    with app.app_context():
        boss = _december(make)  # 15 units at 10 000 RUB approved in December by boss@example.test, a manager
        december = stages.all_stages()[0]
        plan.set_targets(PROGRAM, "", {("sales_amount", december.id): 200_000_00}, boss)
        december.budget_kopecks = 50_000_00
        ledger.earn(make.user(company=make.company()).id, 1234, key="gift", source_type="manual")
        db.session.commit()


def test_the_kpi_csv_reads_in_russian_with_roubles_and_a_decimal_comma(app, client, login, make):
    _program(app, make)
    login("boss@example.test")
    with frozen_time(NOW):
        response = client.get("/kpi/export.csv")
        page = client.get("/kpi").get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    header, *rows = _rows(response)
    assert header[:4] == ["KPI", "Декабрь 2026: план", "Декабрь 2026: факт", "Декабрь 2026: выполнение, %"]
    assert header[-3:] == ["Итого по программе: план", "Итого по программе: факт",
                           "Итого по программе: выполнение, %"]
    assert all("actual" not in h and "plan" not in h for h in header)
    sales = next(row for row in rows if row[0] == "Сумма продаж")
    assert sales[1:4] == ["200000,00", "150000,00", "75"]  # the page: 150 000,00 ₽ of 200 000,00 ₽, 75%
    assert "150\xa0000,00\xa0₽" in page


def test_the_kpi_xlsx_has_number_formats_a_frozen_header_and_filters(app, client, login, make):
    _program(app, make)
    login("boss@example.test")
    with frozen_time(NOW):
        response = client.get("/kpi/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
    assert sheet["B1"].value == "Декабрь 2026: план" and sheet["B1"].font.b
    sales = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == "Сумма продаж")
    assert (sales[1].value, sales[1].number_format) == (200_000, "#,##0.00")
    assert (sales[2].value, sales[3].value, sales[3].number_format) == (150_000, 0.75, "0.0%")
    units = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == "Продано единиц")
    assert (units[2].value, units[2].number_format) == (15, "#,##0")


def test_the_kpi_csv_in_english_uses_commas_and_a_decimal_dot(app, client, login, make):
    _program(app, make)
    with app.app_context():
        from portal.auth.models import User

        db.session.query(User).filter_by(email="boss@example.test").update({"locale": "en"})
        db.session.commit()
    login("boss@example.test")
    with frozen_time(NOW):
        text = client.get("/kpi/export.csv").get_data(as_text=True)
    header, *rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert header[:3] == ["KPI", "December 2026: plan", "December 2026: actual"]
    sales = next(row for row in rows if row[0] == "Sales amount")
    assert sales[1:4] == ["200000.00", "150000.00", "75"]


def test_the_budget_export_gives_the_pages_figures(app, client, login, make):
    _program(app, make)
    login("boss@example.test")
    with frozen_time(NOW):
        page = client.get("/kpi/budget").get_data(as_text=True)
        response = client.get("/kpi/budget/export.csv")
        xlsx = client.get("/kpi/budget/export.xlsx")
    assert 'href="/kpi/budget/export.xlsx"' in page
    header, december, total = _rows(response)
    assert header == ["Этап", "Начало", "Окончание", "Призовой фонд, ₽", "Начислено баллов", "Потрачено",
                      "Баллы сгорели", "Начислено, ₽", "Потрачено, ₽", "Потрачено, доля фонда",
                      "Фонд нарастающим итогом, ₽",
                      "Потрачено нарастающим итогом, ₽", "Непогашенные баллы", "Обязательства по стоимости балла, ₽",
                      "Прогноз обязательств на конец, ₽"]
    with app.app_context(), frozen_time(NOW):
        view = budget.budget_view()
    issued = view.rows[0].issued
    assert issued > 1234  # the gift and the sales' points
    assert december[:5] == ["Декабрь 2026", "01.12.2026", "31.12.2026", "50000,00", str(issued)]
    assert december[7] == f"{issued * view.point_value // 100},{issued * view.point_value % 100:02d}"
    assert total[0] == "Итого по программе" and total[12] == str(view.outstanding)
    assert f'data-testid="outstanding">{view.outstanding:,}<'.replace(",", "\xa0") in page
    assert total[13] == f"{view.liability // 100},{view.liability % 100:02d}"
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet["B2"].value.date() == date(2026, 12, 1) and sheet["B2"].number_format == "DD.MM.YYYY"
    assert sheet["D2"].value == 50_000 and sheet["D2"].number_format == "#,##0.00"


def test_a_participant_cannot_download_the_budget(client, login, make):
    make.user(email="p@example.test")
    login("p@example.test")
    assert client.get("/kpi/budget/export.csv").status_code == 403


def test_the_people_export_carries_each_persons_kpi_flags(app, client, login, make):
    _program(app, make)  # the December seller sold 15 units in December; another person got a gift only
    login("boss@example.test")
    with frozen_time(NOW):
        page = client.get("/console/people").get_data(as_text=True)
        header, *rows = _rows(client.get("/console/people/export.csv?role=participant"))
    assert "/console/people/export.xlsx" in page
    assert header[-6:] == ["Декабрь 2026: одобрено продаж", "Декабрь 2026: продаёт", "Декабрь 2026: первая продажа",
                           "Декабрь 2026: пройдено курсов", "Продавал", "Проходил курсы"]
    flags = sorted(row[-6:] for row in rows)
    assert flags == [["0", "нет", "нет", "0", "нет", "нет"], ["4", "да", "да", "0", "да", "нет"]]
