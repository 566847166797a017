"""A partner admin creates an API key, their 1C posts a sale with it, the file import makes the rest; the key
is revoked and stops at once."""

import urllib.error
import urllib.request
from datetime import timedelta

from playwright.sync_api import expect

from portal.auth.models import PARTNER_ADMIN
from portal.core.time import today
from portal.extensions import db
from portal.program.services import get_settings
from tests.claims import factories as f
from tests.e2e.menus import open_menu
from tests.e2e.test_accounts import log_in


def call(base: str, path: str, token: str) -> int:
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_key_import_and_revocation(app, live_server, page, make, shot, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    company = make.company(name="ООО «Климат»")
    make.user(role=PARTNER_ADMIN, company=company, email="head@example.test")
    make.user(company=company, email="seller@example.test")
    with app.app_context():
        f.product(sku="AC-S12", name="Сплит-система Nord 12", price=4_590_000, cost=3_460_000)
        get_settings().first_sale_bonus = 0
        db.session.commit()

    log_in(page, live_server, "head@example.test")
    open_menu(page, "Настройки")  # the menu groups its settings pages
    page.get_by_role("link", name="Интеграции", exact=True).click()
    page.get_by_label("Имя").fill("1С:Торговля")
    expect(page.locator("input[name=scopes]:checked")).to_have_count(0)  # nothing is ticked to begin with
    page.get_by_label("1С: отправка продаж").check()  # the set ticks what 1C needs
    expect(page.get_by_label("Отправлять заявки о продажах")).to_be_checked()
    expect(page.locator("input[name=scopes]:checked")).to_have_count(3)
    page.get_by_role("button", name="Создать ключ").click()
    token = page.locator("#new-token").input_value()
    assert token.startswith("plk_")
    shot(page, "key")
    assert call(live_server, "/api/v1/me", token) == 200
    expect(page.get_by_label("Имя")).to_have_value("")  # the form is empty for the next key
    expect(page.locator("input[name=scopes]:checked")).to_have_count(0)
    page.goto(f"{live_server}/integrations")
    expect(page.locator("#new-token")).to_have_count(0)  # shown once

    day = (today() - timedelta(days=2)).strftime("%d.%m.%Y")
    csv = tmp_path / "sales.csv"
    csv.write_bytes((f"Номер;Дата;Продавец;Контрагент;ИНН;Артикул;Количество;Цена\n"
                     f"Р-1;{day};seller@example.test;ООО «Заказчик»;;AC-S12;2;45 900,00\n"
                     f"Р-2;{day};seller@example.test;ООО «Заказчик»;;NOPE;1;100\n").encode("cp1251"))
    page.get_by_role("link", name="Загрузить продажи из файла").click()
    page.set_input_files("input[name=file]", str(csv))
    page.get_by_role("button", name="Проверить файл").click()
    expect(page.get_by_test_id("import-summary")).to_contain_text("можно создать заявок: 1")
    expect(page.get_by_text("артикула NOPE нет в каталоге")).to_be_visible()
    shot(page, "report")
    page.get_by_test_id("confirm-import").click()
    expect(page.locator(".alert-success")).to_contain_text("1")
    assert call(live_server, "/api/v1/claims", token) == 200

    open_menu(page, "Настройки")  # the menu groups its settings pages
    page.get_by_role("link", name="Интеграции", exact=True).click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Отозвать").click()
    expect(page.get_by_text("Отозван", exact=True)).to_be_visible()
    assert call(live_server, "/api/v1/me", token) == 401


def test_an_imported_sale_awaits_its_scan_and_the_seller_submits_it_in_the_browser(app, live_server, page, make,
                                                                                   shot, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    company = make.company(name="ООО «Климат»")
    make.user(role=PARTNER_ADMIN, company=company, email="head@example.test")
    make.user(company=company, email="seller@example.test")
    with app.app_context():
        f.product(sku="AC-S12", name="Сплит-система Nord 12", price=4_590_000, cost=3_460_000)
        get_settings().first_sale_bonus = 0
        db.session.commit()

    log_in(page, live_server, "head@example.test")
    page.goto(f"{live_server}/integrations/import")
    day = (today() - timedelta(days=2)).strftime("%d.%m.%Y")
    csv = tmp_path / "sales.csv"
    csv.write_bytes((f"Номер;Дата;Продавец;Контрагент;ИНН;Артикул;Количество;Цена\n"
                     f"Р-7;{day};seller@example.test;ООО «Заказчик»;;AC-S12;2;45 900,00\n").encode("cp1251"))
    page.set_input_files("input[name=file]", str(csv))
    page.get_by_role("button", name="Проверить файл").click()
    page.get_by_test_id("confirm-import").click()
    expect(page.get_by_test_id("awaiting-scan")).to_contain_text("Р-7")  # the page says what awaits a scan
    shot(page, "awaiting")

    page.context.clear_cookies()
    log_in(page, live_server, "seller@example.test")
    page.goto(f"{live_server}/claims")
    page.get_by_test_id("awaiting-scan").first.click()
    scan = tmp_path / "invoice.pdf"
    scan.write_bytes(b"%PDF-1.4 invoice")
    page.set_input_files("#attach-scan input[type=file]", str(scan))
    page.get_by_role("button", name="Приложить и отправить на проверку").click()
    expect(page.locator(".alert-success")).to_contain_text("отправлена на проверку")
    expect(page.get_by_test_id("scan-link")).to_have_text("invoice.pdf")
    shot(page, "submitted")
    page.goto(f"{live_server}/claims")
    expect(page.get_by_test_id("awaiting-scan")).to_have_count(0)
