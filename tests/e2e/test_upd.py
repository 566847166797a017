"""A seller fills a claim from a UPD, maps the one article the catalogue does not know, and submits; the manager
sees the UPD beside the claim."""

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from portal.auth.models import User
from portal.claims.models import ArticleMapping, Claim
from portal.core.time import today
from portal.extensions import db
from portal.program.services import get_settings
from tests.claims import factories as f
from tests.claims.upd_files import Item, Upd
from tests.e2e.test_accounts import log_in


def test_a_claim_filled_from_a_upd_reaches_the_reviewer_with_its_document(app, live_server, page, new_page, make,
                                                                          shot, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    seller = make.user(email="seller@example.test", full_name="Соколова Анна")
    make.user(role="manager", email="manager@example.test")
    with app.app_context():
        f.product(sku="AC-S12", name="Сплит-система Nord 12", category="Сплит-системы", price=4_590_000,
                  cost=3_460_000)
        f.product(sku="INS-CU14", name="Медная труба 1/4", category="Монтаж", price=640_000, cost=510_000)
        f.per_unit_rule(20, name="За любую единицу")
        get_settings().first_sale_bonus = 0
        db.session.commit()
        inn = db.session.get(User, seller.id).company.inn
    upd = Upd(inn, number="УПД-3001", day=today() - timedelta(days=1), version="5.03", items=[
        Item("Сплит-система Nord 12", "AC-S12", "2", "38250.00", "76500.00", "91800.00"),
        Item("Труба медная 1/4 бухта", "ТР-14-Б", "3", "5333.33", "16000.00", "19200.00")])

    log_in(page, live_server, "seller@example.test")
    page.goto(f"{live_server}/claims/new")
    page.locator("#file").set_input_files(files=[{"name": "upd-3001.xml", "mimeType": "application/xml",
                                                  "buffer": upd.bytes()}])
    page.get_by_test_id("upd-fill-button").click()
    expect(page.locator(".alert-warning")).to_contain_text("ТР-14-Б")
    expect(page.locator("#invoice_number")).to_have_value("УПД-3001")
    expect(page.locator("#lines-0-product")).to_have_value("AC-S12 — Сплит-система Nord 12")
    expect(page.get_by_test_id("kept-scan")).to_contain_text("upd-3001.xml")
    page.locator("#lines-1-product").fill("INS-CU14 — Медная труба 1/4")
    expect(page.get_by_test_id("claim-total")).to_contain_text("111")
    shot(page, "upd-filled")
    page.get_by_test_id("submit-claim").click()
    expect(page.locator(".alert-success")).to_contain_text("Продажа отправлена на проверку")
    with app.app_context():
        mapping = db.session.scalar(select(ArticleMapping))
        assert (mapping.article, mapping.product.sku) == ("ТР-14-Б", "INS-CU14")
        claim_id = db.session.scalar(select(Claim.id).where(Claim.invoice_number == "УПД-3001"))

    manager = new_page()
    log_in(manager, live_server, "manager@example.test")
    manager.goto(f"{live_server}/claims/{claim_id}")
    document = manager.get_by_test_id("upd-document")
    expect(document).to_contain_text("УПД УПД-3001")
    expect(document).to_contain_text("Труба медная 1/4 бухта")
    expect(manager.get_by_test_id("upd-matches")).to_be_visible()
    shot(manager, "upd-review")
