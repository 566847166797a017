"""A manager filters the review queue by risk, opens the flagged sale, sees the duplicate scan it points to (the
other sale and its file), and rejects it as fraud; the participant sees it rejected."""

from playwright.sync_api import expect

from portal.auth.models import User
from portal.extensions import db
from portal.program.services import get_settings
from tests.claims import factories as f
from tests.e2e.test_accounts import log_in
from tests.fraud.helpers import invoice_image, submit


def seed(app, honest_id, copier_id):
    """An honest sale with its scan, then another company's seller sends the very same file."""
    with app.app_context():
        f.product()
        f.per_unit_rule(100)
        get_settings().first_sale_bonus = 0
        original = submit(db.session.get(User, honest_id), number="СЧ-118", scan=invoice_image(7))
        copy = submit(db.session.get(User, copier_id), number="УПД-9001", scan=invoice_image(7))
        db.session.commit()
        return original.id, copy.id


def test_manager_filters_by_risk_opens_the_duplicate_scan_and_rejects_as_fraud(app, live_server, page, new_page, make,
                                                                                 shot, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    honest = make.user(full_name="Соколова Анна")
    copier = make.user(email="copier@example.test", full_name="Котов Иван")
    make.user(role="manager", email="manager@example.test")
    original, copy = seed(app, honest.id, copier.id)

    log_in(page, live_server, "manager@example.test")
    page.get_by_role("link", name="Продажи").first.click()
    expect(page.get_by_test_id("risk-cell")).to_have_count(2)
    page.get_by_test_id("risk-filter").fill("50")
    page.get_by_role("button", name="Найти").click()
    expect(page.get_by_test_id("risk-cell")).to_have_count(1)
    expect(page.get_by_test_id("risk-cell")).to_have_text("60")
    shot(page, "queue-risk-filter")

    page.get_by_role("link", name=f"#{copy}", exact=True).click()
    expect(page.get_by_test_id("risk-score")).to_have_text("60")
    expect(page.get_by_test_id("risk-signals")).to_contain_text("Тот же самый файл скана приложен")
    expect(page.get_by_test_id("risk-scan")).to_have_attribute("href", f"/claims/{original}/scan")
    shot(page, "claim-risk")
    page.get_by_test_id("risk-claim").click()  # the other sale the signal points to
    expect(page.locator("h1")).to_contain_text(f"{original}")
    page.go_back()

    page.locator("#fraud-note").fill("Скан чужой продажи")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("risk-fraud-decide").click()
    expect(page.locator(".alert-success")).to_contain_text("признана мошенничеством")
    expect(page.get_by_test_id("risk-fraud")).to_be_visible()
    shot(page, "claim-fraud")

    seller = new_page()
    log_in(seller, live_server, "copier@example.test")
    seller.goto(f"{live_server}/claims/{copy}")
    expect(seller.locator("main")).to_contain_text("подозрение на мошенничество")
    expect(seller.get_by_test_id("risk")).to_have_count(0)
