"""The claim form's "Fill from a UPD", the articles it learns, the partner admin's list of them, and the UPD the
reviewer sees beside the claim."""

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.auth.models import MANAGER, PARTNER_ADMIN
from portal.claims.models import SUBMITTED, ArticleMapping, Claim
from portal.core.time import today
from portal.extensions import db
from portal.partners.models import PartnerCompany
from portal.products.models import Product
from portal.program.services import get_settings
from tests.claims import factories as f
from tests.claims.upd_files import Item, Upd


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)


@pytest.fixture
def company(app, make):
    with app.app_context():
        f.product()
        f.product(sku="PIPE", name="Труба медная", category="Монтаж", price=100_000, cost=70_000)
        f.per_unit_rule(100)
        get_settings().first_sale_bonus = 0
        db.session.commit()
    return make.company()


def two_lines(inn: str, **overrides) -> Upd:
    return Upd(inn, day=today() - timedelta(days=2), items=[
        Item("Сплит-система 09", "SPL-09", "2", "40833.33", "81666.67", "98000.00"),
        Item("Труба медная 1/4", "ТМ-14", "10", "833.33", "8333.33", "10000.00")], **overrides)


def fill(client, content: bytes, name="upd.xml"):
    return client.post("/claims/new/upd", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*name="{re.escape(name)}"', page)
    return match.group(1) if match else ""


def test_a_seller_fills_a_claim_from_a_upd_maps_one_article_and_it_is_remembered(app, client, login, make,
                                                                                  company):
    make.user(email="seller@example.test", company=company)
    login("seller@example.test")
    page = fill(client, two_lines(company.inn).bytes()).get_data(as_text=True)
    assert "ТМ-14" in page and "выберите товар: он запомнится для этого артикула" in page
    assert 'value="SPL-09 — Сплит-система 09"' in page and 'value="УПД-101"' in page
    token = hidden(page, "pending_scan")
    assert token
    form = {
        "invoice_number": "УПД-101", "invoice_date": (today() - timedelta(days=2)).isoformat(),
        "customer_name": "ООО «Заказчик»", "customer_inn": "7707083893", "pending_scan": token, "lead_id": "",
        "lines-0-product": "SPL-09 — Сплит-система 09", "lines-0-quantity": "2", "lines-0-price": "49000,00",
        "lines-0-article": "SPL-09",
        "lines-1-product": "PIPE", "lines-1-quantity": "10", "lines-1-price": "1000,00", "lines-1-article": "ТМ-14",
        "action": "submit",
    }
    response = client.post("/claims/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        claim = db.session.scalar(select(Claim))
        assert (claim.status, claim.scan_mimetype, claim.total_kopecks) == (SUBMITTED, "application/xml", 10_800_000)
        [mapping] = db.session.scalars(select(ArticleMapping)).all()
        assert (mapping.company_id, mapping.article, mapping.product.sku) == (company.id, "ТМ-14", "PIPE")
    # The next UPD naming the article is filled in full.
    again = fill(client, two_lines(company.inn, number="УПД-102").bytes()).get_data(as_text=True)
    assert 'value="PIPE — Труба медная"' in again and "выберите товар" not in again


def test_the_reviewer_sees_the_upd_beside_the_claim_and_what_differs(app, client, login, make, company):
    make.user(email="seller@example.test", company=company)
    make.user(role=MANAGER, email="manager@example.test")
    login("seller@example.test")
    page = fill(client, Upd(company.inn, day=today() - timedelta(days=2)).bytes()).get_data(as_text=True)
    form = {"invoice_number": "УПД-101", "invoice_date": (today() - timedelta(days=2)).isoformat(),
            "customer_name": "ООО «Заказчик»", "customer_inn": "7707083893", "lead_id": "",
            "pending_scan": hidden(page, "pending_scan"), "lines-0-product": "SPL-09", "lines-0-quantity": "3",
            "lines-0-price": "49000,00", "action": "submit"}
    assert client.post("/claims/new", data=form, content_type="multipart/form-data").status_code == 302
    with app.app_context():
        claim_id = db.session.scalar(select(Claim.id))
    login("manager@example.test")
    detail = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert 'data-testid="upd-document"' in detail and "Сплит-система 09" in detail
    assert "Заявка расходится с УПД" in detail
    assert "SPL-09: в заявке 3 шт." in detail and "в УПД 2 шт." in detail
    with client.get(f"/claims/{claim_id}/scan") as download:
        assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
        assert download.get_data().startswith(b"<?xml")


def test_a_upd_that_cannot_be_claimed_is_explained_on_the_form(app, client, login, make, company):
    other = make.company()
    make.user(email="seller@example.test", company=company)
    login("seller@example.test")
    for content, words in ((Upd(other.inn, day=today() - timedelta(days=2)).bytes(), "не ваша компания"),
                           (Upd(company.inn, day=today() + timedelta(days=2)).bytes(), "в будущем"),
                           (b"<broken", "XML"),
                           (Upd(company.inn, revision=True).bytes(), "исправленный")):
        response = fill(client, content)
        assert response.status_code == 302
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "УПД нельзя использовать" in page and words in page
    with app.app_context():
        assert db.session.scalar(select(Claim.id)) is None


def test_the_partner_admin_sees_changes_and_deletes_the_companys_articles(app, client, login, make, company):
    admin = make.user(role=PARTNER_ADMIN, email="head@example.test", company=company)
    stranger_company = make.company()
    make.user(role=PARTNER_ADMIN, email="other-head@example.test", company=stranger_company)
    with app.app_context():
        spl = db.session.scalar(select(Product).where(Product.sku == "SPL-09"))
        mapping = ArticleMapping(company_id=company.id, article="ТМ-14", article_key="ТМ-14", product_id=spl.id,
                                 created_by_id=admin.id)
        db.session.add(mapping)
        db.session.commit()
        mapping_id = mapping.id
    login("other-head@example.test")
    assert "ТМ-14" not in client.get("/team/upd-articles").get_data(as_text=True)
    assert client.post(f"/team/upd-articles/{mapping_id}/delete").status_code == 404
    login("head@example.test")
    assert "ТМ-14" in client.get("/team/upd-articles").get_data(as_text=True)
    bad = client.post(f"/team/upd-articles/{mapping_id}", data={f"m{mapping_id}-product": "NOPE"},
                      follow_redirects=True).get_data(as_text=True)
    assert "Выберите товар из каталога." in bad
    client.post(f"/team/upd-articles/{mapping_id}", data={f"m{mapping_id}-product": "PIPE — Труба медная"})
    with app.app_context():
        assert db.session.get(ArticleMapping, mapping_id).product.sku == "PIPE"
    client.post(f"/team/upd-articles/{mapping_id}/delete")
    with app.app_context():
        assert db.session.get(ArticleMapping, mapping_id) is None
        assert db.session.get(PartnerCompany, company.id) is not None
