"""A seller registers a three-line sale from the keyboard; a manager approves it in bulk; points arrive."""

from datetime import timedelta

from playwright.sync_api import expect

from portal.auth.models import User
from portal.core.time import today
from portal.extensions import db
from portal.program.services import get_settings
from tests.claims import factories as f
from tests.e2e.test_accounts import log_in

PDF = b"%PDF-1.4\n% invoice scan\n"


def seed(app, other_seller_id):
    with app.app_context():
        f.product(sku="AC-S12", name="Сплит-система Nord 12", category="Сплит-системы", price=4_590_000,
                  cost=3_460_000)
        f.product(sku="CTL-WF", name="Wi-Fi модуль", category="Автоматика", price=490_000, cost=260_000)
        f.product(sku="INS-CU14", name="Медная труба 1/4", category="Монтаж", price=640_000, cost=510_000)
        f.per_unit_rule(300, name="Баллы за сплит-системы", categories=["Сплит-системы"])
        f.per_unit_rule(20, name="За любую единицу")
        get_settings().first_sale_bonus = 0
        from portal.claims.services import LineData

        f.submitted(db.session.get(User, other_seller_id), number="ТН-9", lines=[LineData("CTL-WF", 1, 490_000)])
        db.session.commit()


def test_three_line_sale_from_the_keyboard_to_points(app, live_server, page, new_page, make, shot, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    make.user(email="seller@example.test", full_name="Соколова Анна")
    other = make.user(full_name="Котов Иван")
    make.user(role="manager", email="manager@example.test")
    seed(app, other.id)

    log_in(page, live_server, "seller@example.test")
    page.get_by_role("link", name="Мои продажи").first.click()
    page.get_by_test_id("new-claim").click()
    # The invoice number has the focus; everything else is typed and tabbed through.
    expect(page.locator("#invoice_number")).to_be_focused()
    page.keyboard.type("УПД-2041")
    page.keyboard.press("Tab")
    page.locator("#invoice_date").fill((today() - timedelta(days=1)).isoformat())
    page.locator("#customer_inn").focus()
    page.keyboard.press("Tab")
    page.keyboard.type("ООО «Северный офис»")
    page.locator("#lines-0-product").focus()
    for index, (product, quantity, price) in enumerate([
        ("AC-S12 — Сплит-система Nord 12", "2", "45900"),
        ("CTL-WF — Wi-Fi модуль", "2", "4900"),
        ("INS-CU14 — Медная труба 1/4", "3", "6400"),
    ]):
        expect(page.locator(f"#lines-{index}-product")).to_be_focused()
        page.keyboard.type(product)
        page.keyboard.press("Tab")
        page.keyboard.type(quantity)
        page.keyboard.press("Tab")
        page.keyboard.type(price)
        if index < 2:
            page.keyboard.press("Tab")  # to the next line's product
    page.keyboard.press("Enter")  # Enter in the last field adds a line instead of submitting
    expect(page.locator("tr.line")).to_have_count(4)
    expect(page.get_by_test_id("claim-total")).to_contain_text("120")
    expect(page.get_by_test_id("expected-points")).to_have_text("740")  # 2*300 + 7*20
    page.locator("#scan").set_input_files(files=[{"name": "upd-2041.pdf", "mimeType": "application/pdf",
                                                  "buffer": PDF}])
    shot(page, "claim-filled")
    page.get_by_test_id("submit-claim").click()
    expect(page.locator(".alert-success")).to_contain_text("Продажа отправлена на проверку")
    expect(page.get_by_test_id("expected-points")).to_have_text("740")

    manager = new_page()
    log_in(manager, live_server, "manager@example.test")
    manager.get_by_role("link", name="Продажи").first.click()
    for box in manager.locator(".claim-check").all():
        box.check()
    manager.get_by_test_id("bulk-apply").click()
    expect(manager.locator(".alert-success")).to_contain_text("2 заявки обработаны")
    shot(manager, "bulk-approved")

    page.get_by_role("link", name="Мои баллы").first.click()
    expect(page.get_by_test_id("balance-available")).to_have_text("740")
    expect(page.get_by_test_id("statement")).to_contain_text("счёт УПД-2041")
    page.get_by_test_id("language-switch").click()
    expect(page.get_by_test_id("statement")).to_contain_text("invoice УПД-2041")
    page.get_by_role("link", name="My sales").first.click()
    expect(page.get_by_test_id("claims")).to_contain_text("Approved")
    shot(page, "my-sales-en")


def test_english_seller_sees_the_form_in_english(app, live_server, page, make, shot):
    make.user(email="english@example.test", locale="en")
    log_in(page, live_server, "english@example.test")
    page.goto(f"{live_server}/claims/new")
    expect(page.locator("h1")).to_have_text("Register a sale")
    page.get_by_test_id("submit-claim").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    expect(page.locator("main")).to_contain_text("This field is required.")
    shot(page, "claim-errors-en")
