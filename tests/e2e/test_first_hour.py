"""What a new user tripped over in the first hour, in a real Chromium: a card number typed as printed, a card
error in Russian, a claim form that keeps its scan through an error, a product flagged as you type, and the
console menu from the keyboard."""

import re
from datetime import timedelta

from playwright.sync_api import expect

from portal.core.time import today
from portal.extensions import db
from portal.ledger import services as ledger
from portal.program.services import get_settings
from tests.claims import factories as claims_f
from tests.e2e.menus import wait_for_menus
from tests.e2e.seed import starting_points
from tests.e2e.test_accounts import log_in
from tests.e2e.test_copay import register_webhook
from tests.shop import factories as shop_f

PDF = b"%PDF-1.4\n% invoice scan\n"


def fill_card(card, number):
    card.get_by_placeholder("number").fill(number)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("30")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("30000")


def test_card_typed_as_printed_after_an_error_in_russian(app, stripe, live_server, page, make, shot, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    register_webhook(stripe, f"{live_server}/payments/webhook")
    buyer = make.user(email="buyer@example.test", full_name="Соколова Анна")
    with app.app_context():
        starting_points(buyer.id, 1175)
        shop_f.prize(name="Робот-пылесос", points=1600, stock=3)
        db.session.commit()

    log_in(page, live_server, "buyer@example.test")
    page.goto(f"{live_server}/shop")
    page.get_by_role("link", name="Робот-пылесос").first.click()
    page.get_by_test_id("add-to-cart").click()
    page.get_by_test_id("to-checkout").click()
    page.get_by_label("Адрес доставки").fill("г. Тула, ул. Советская, д. 3, кв. 7")
    page.get_by_label("Телефон для курьера").fill("+7 953 111-22-33")
    page.get_by_test_id("place-order").click()

    expect(page.get_by_test_id("pay-points")).to_have_text("1\xa0175")
    expect(page.get_by_test_id("pay-card")).to_have_text("425,00\xa0₽")
    expect(page.get_by_text("Банковская карта")).to_be_visible()
    card = page.get_by_test_id("card-element")
    fill_card(card, "4242 4242")  # half a number: the processor refuses it, we say why in Russian
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("card-errors")).to_have_text("Проверьте номер карты, срок действия и код CVC.")
    expect(page.get_by_test_id("card-errors")).not_to_contain_text("Bad request")
    shot(page, "card-error")

    fill_card(card, "4242 4242 4242 4242")  # as printed on the card
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Оплачен", timeout=20_000)
    expect(page.get_by_test_id("order-points")).to_have_text("1\xa0175")
    expect(page.get_by_test_id("order-card")).to_have_text("425,00\xa0₽")
    expect(page.get_by_test_id("order-history")).to_contain_text("оплачен картой")
    shot(page, "paid")

    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.get_by_test_id("cancel-order").click()
    expect(page.locator(".alert-info")).to_contain_text("425,00\xa0₽ возвращены на карту")
    assert "425,00\xa0₽" in asked[0] and "вернутся на карту" in asked[0]
    expect(page.get_by_test_id("order-refund")).to_contain_text("5–10 рабочих дней")
    shot(page, "refunded")
    with app.app_context():
        assert ledger.balances_of(buyer.id) == ledger.Balances(available=1175, held=0, debt=0)


def test_the_pay_page_leads_back_and_cancels(app, stripe, live_server, page, make):
    buyer = make.user(email="buyer@example.test")
    with app.app_context():
        starting_points(buyer.id, 3000)
        shop_f.prize(name="Умная колонка", points=4000, stock=3)
        db.session.commit()
    log_in(page, live_server, "buyer@example.test")
    page.goto(f"{live_server}/shop")
    page.get_by_role("link", name="Умная колонка").first.click()
    page.get_by_test_id("add-to-cart").click()
    page.get_by_test_id("to-checkout").click()
    page.get_by_label("Адрес доставки").fill("г. Тула, ул. Советская, д. 3, кв. 7")
    page.get_by_label("Телефон для курьера").fill("+7 953 111-22-33")
    page.get_by_test_id("place-order").click()
    page.get_by_test_id("back-to-order").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Ожидает оплаты")
    page.get_by_test_id("pay-link").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("cancel-order").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Отменён")
    with app.app_context():
        assert ledger.balances_of(buyer.id) == ledger.Balances(available=3000, held=0, debt=0)


def test_a_claim_form_error_keeps_the_scan_and_flags_an_unknown_product(app, live_server, page, make, shot,
                                                                        tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    make.user(email="seller@example.test", full_name="Соколова Анна")
    with app.app_context():
        claims_f.product(sku="AC-S12", name="Сплит-система Nord 12", price=4_590_000, cost=3_460_000)
        claims_f.per_unit_rule(300)
        get_settings().first_sale_bonus = 0
        db.session.commit()

    log_in(page, live_server, "seller@example.test")
    page.goto(f"{live_server}/claims/new")
    page.locator("#invoice_number").fill("УПД-77")
    page.locator("#invoice_date").fill((today() - timedelta(days=1)).isoformat())
    page.locator("#lines-0-product").fill("NOPE-999")
    page.locator("#lines-0-quantity").fill("1")
    page.locator("#lines-0-price").fill("45900")
    problem = page.locator("tr.line").first.locator(".product-problem")
    expect(problem).to_have_text("Строка 1: выберите товар из каталога.")  # as you type, before sending
    expect(page.locator("#lines-0-product")).to_have_class(re.compile(r"\bis-invalid\b"))
    page.locator("#lines-0-product").fill("AC-S12 — Сплит-система Nord 12")
    expect(problem).to_have_text("")
    expect(page.locator("#lines-0-product")).not_to_have_class(re.compile(r"\bis-invalid\b"))
    page.locator("#scan").set_input_files(files=[{"name": "upd-77.pdf", "mimeType": "application/pdf",
                                                  "buffer": PDF}])
    page.get_by_test_id("submit-claim").click()  # the customer is missing
    expect(page.get_by_test_id("kept-scan")).to_contain_text("upd-77.pdf")
    shot(page, "scan-kept")
    page.locator("#customer_name").fill("ООО «Северный офис»")
    page.get_by_test_id("submit-claim").click()
    expect(page.locator(".alert-success")).to_contain_text("Продажа отправлена на проверку")
    expect(page.get_by_role("link", name="upd-77.pdf")).to_be_visible()


def test_the_console_menu_works_from_the_keyboard(live_server, page, make, shot):
    make.user(role="manager", email="manager@example.test")
    log_in(page, live_server, "manager@example.test")
    wait_for_menus(page)
    toggle = page.get_by_role("button", name="Каталог")
    menu = page.get_by_test_id("nav-group-catalogue").locator(".dropdown-menu")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowDown")
    expect(menu.get_by_role("link", name="Товары")).to_be_focused()
    shot(page, "menu-open")
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(toggle).to_be_focused()
    page.keyboard.press("Space")
    expect(menu).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/console/prizes")
    # Everything fits a 1366 px laptop screen: no horizontal scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
