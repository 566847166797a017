"""The claim form keeps an attached scan through a validation error and flags unknown products as you type."""

import re

import pytest
from sqlalchemy import select

from portal.claims.models import SUBMITTED, Claim
from portal.extensions import db
from tests.claims import factories as f
from tests.claims.test_views import claim_form

PDF = b"%PDF-1.4\nfake invoice"


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)


@pytest.fixture
def catalogue(app):
    from portal.program.services import get_settings

    with app.app_context():
        f.product()
        f.product(sku="PIPE", name="Труба медная", category="Монтаж", price=100_000, cost=70_000)
        f.product(sku="OLD-1", name="Снятая модель", active=False)
        f.per_unit_rule(100)
        get_settings().first_sale_bonus = 0
        db.session.commit()


def kept_token(page: str) -> str:
    return re.search(r'name="pending_scan" type="hidden" value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("broken", [{"customer_name": ""}, {"lines-1-product": "NOPE-999"}])
def test_a_form_error_keeps_the_attached_scan(app, client, login, make, catalogue, broken):
    make.user(email="seller@example.test")
    login("seller@example.test")
    first = client.post("/claims/new", data=claim_form(**broken), content_type="multipart/form-data")
    page = first.get_data(as_text=True)
    assert first.status_code == 200
    assert 'data-testid="kept-scan"' in page and "invoice.pdf" in page
    fixed = claim_form(**{"customer_name": "ООО «Заказчик»", "lines-1-product": "PIPE",
                          "pending_scan": kept_token(page)})
    fixed.pop("scan")  # nothing chosen again
    second = client.post("/claims/new", data=fixed, content_type="multipart/form-data")
    assert second.status_code == 302
    with app.app_context():
        claim = db.session.scalar(select(Claim))
        assert claim.status == SUBMITTED and claim.scan_filename == "invoice.pdf" and claim.scan_path


def test_a_kept_scan_cannot_be_borrowed_by_someone_else(app, client, login, make, catalogue):
    make.user(email="seller@example.test")
    make.user(email="other@example.test")
    login("seller@example.test")
    page = client.post("/claims/new", data=claim_form(customer_name=""),
                       content_type="multipart/form-data").get_data(as_text=True)
    token = kept_token(page)
    login("other@example.test")
    data = claim_form(pending_scan=token)
    data.pop("scan")
    response = client.post("/claims/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302  # saved as a draft: the submit step wants a scan of one's own
    with app.app_context():
        claim = db.session.scalar(select(Claim))
        assert claim.scan_path is None


def test_a_forged_kept_scan_is_ignored(app, client, login, make, catalogue):
    make.user(email="seller@example.test")
    login("seller@example.test")
    data = claim_form(pending_scan="x" * 10_000, action="save")
    data.pop("scan")
    assert client.post("/claims/new", data=data, content_type="multipart/form-data").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Claim)).scan_path is None


def test_preview_flags_an_unknown_product_on_its_line_with_the_servers_words(app, client, login, make, catalogue):
    make.user(email="seller@example.test")
    login("seller@example.test")
    form = claim_form(**{"lines-1-product": "NOPE-999", "lines-2-product": "OLD-1"})
    form.pop("scan")
    result = client.post("/claims/preview", data=form).get_json()
    assert result["problems"] == [
        {"line": 1, "message": "Строка 2: выберите товар из каталога."},
        {"line": 2, "message": "Строка 3: «Снятая модель» больше не участвует в программе."},
    ]
    saved = client.post("/claims/new", data=claim_form(**{"lines-1-product": "NOPE-999"}),
                        content_type="multipart/form-data").get_data(as_text=True)
    assert "Строка 2: выберите товар из каталога." in saved  # the same words when the form is sent


def test_the_claim_form_has_a_place_for_each_lines_problem(client, login, make, catalogue):
    make.user(email="seller@example.test")
    login("seller@example.test")
    page = client.get("/claims/new").get_data(as_text=True)
    assert page.count('class="invalid-feedback product-problem"') == 3
