"""A long statement export in a real browser: the progress page fills its bar and offers the file."""

import pytest
from playwright.sync_api import expect

from portal.config import Config
from portal.extensions import db
from tests.e2e.seed import starting_points
from tests.e2e.test_accounts import log_in


@pytest.fixture
def small_exports(app, tmp_path, monkeypatch):
    """Exports of more than two rows go to the worker (set before live_server builds its app)."""
    monkeypatch.setattr(Config, "EXPORT_BACKGROUND_ROWS", 2)
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))


def test_a_long_export_shows_progress_and_offers_the_file(app, small_exports, queue, live_server, page, make, shot):
    seller = make.user(email="seller@example.test", full_name="Соколова Анна")
    with app.app_context():
        for n in range(4):
            starting_points(seller.id, 100, key=f"e2e-{n}")
        db.session.commit()
    log_in(page, live_server, "seller@example.test")
    page.goto(f"{live_server}/points")
    with page.expect_navigation():
        page.get_by_role("link", name="XLSX").first.click()
    expect(page.get_by_role("heading")).to_contain_text("Выгрузка")
    expect(page.get_by_text("Ждёт обработчика")).to_be_visible()
    download_link = page.get_by_role("link", name="Скачать файл")
    expect(download_link).to_be_hidden()
    shot(page, "queued")
    assert queue() == 1  # the worker writes it; the page notices without a reload
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    expect(page.get_by_text("4 из 4 строк")).to_be_visible()
    expect(download_link).to_be_visible()
    shot(page, "ready")
    with page.expect_download() as download:
        download_link.click()
    assert download.value.suggested_filename.endswith(".xlsx")


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_a_manager_downloads_sales_and_the_budget_in_their_language(app, live_server, page, make, shot, locale,
                                                                   tmp_path):
    import csv
    import io

    from openpyxl import load_workbook

    from portal.claims import services as claims
    from portal.kpi import stages
    from tests.claims import factories as cf

    manager = make.user(role="manager", email="m@example.test", full_name="Петров Иван", locale=locale)
    seller = make.user(email="s@example.test", full_name="Соколова Анна")
    with app.app_context():
        stages.add_months(2026, 12, 12)
        cf.product()
        cf.per_unit_rule(100)
        people = type(manager)
        claim = cf.submitted(db.session.get(people, seller.id), number="СЧ-7",
                             lines=[claims.LineData("SPL-09", 2, 4_900_050)])
        claims.approve_claim(claim, db.session.get(people, manager.id))
        db.session.commit()
    ru = locale == "ru"
    log_in(page, live_server, "m@example.test")
    page.goto(f"{live_server}/console/claims?status=approved")
    with page.expect_download() as download:
        page.get_by_test_id("sales-export").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    sheet = load_workbook(path).active
    header = [c.value for c in sheet[1]]
    assert header[:2] == (["Номер заявки", "Номер счёта"] if ru else ["Claim number", "Invoice number"])
    assert header[-2:] == (["Риск", "Сигналы риска"] if ru else ["Risk", "Risk signals"])  # the fraud checks' columns
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    amount = sheet.cell(row=2, column=header.index("Сумма строки, ₽" if ru else "Line amount, RUB") + 1)
    assert float(amount.value) == 98001.0 and amount.number_format == "#,##0.00"
    shot(page, f"sales-export-{locale}")
    page.goto(f"{live_server}/kpi/budget")
    with page.expect_download() as download:
        page.get_by_role("link", name="Скачать CSV" if ru else "Download CSV").click()
    text = (tmp_path / "budget.csv")
    download.value.save_as(text)
    rows = list(csv.reader(io.StringIO(text.read_text(encoding="utf-8-sig")), delimiter=";" if ru else ","))
    assert rows[0][0] == ("Этап" if ru else "Stage")
    assert rows[1][3] == ("0,00" if ru else "0.00")  # the stage's fund, in roubles with the reader's decimal mark
    page.goto(f"{live_server}/console/audit")
    expect(page.get_by_test_id("audit-entry").first).to_be_visible()
    expect(page.get_by_role("link", name="Соколова Анна").first).to_be_visible()
    shot(page, f"audit-{locale}")
