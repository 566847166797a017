"""POST /api/v1/claims/upd: claims from UPD e-invoices, their duplicates, every kind of bad file, and leads."""

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.claims.models import SUBMITTED, ArticleMapping, Claim
from portal.core.time import today
from portal.extensions import db
from portal.partners.models import PartnerCompany
from portal.products.models import Product
from tests.api.conftest import auth
from tests.claims.upd_files import BILLION_LAUGHS, EXTERNAL_ENTITY, Item, Upd, zipped


def inn_of(app, company_id) -> str:
    with app.app_context():
        return db.session.get(PartnerCompany, company_id).inn


def count_claims(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Claim.id)))


def post(client, token, content: bytes, name="upd.xml", **fields):
    data = {"file": (io.BytesIO(content), name), "seller_email": fields.pop("seller_email", "seller@a.test"),
            **fields}
    return client.post("/api/v1/claims/upd", data=data, headers=auth(token), content_type="multipart/form-data")


@pytest.fixture(autouse=True)
def bodies_in_memory(monkeypatch):
    # Werkzeug's test client spools a multipart body above 500 KB into a temporary file it never closes (see
    # tests/test_hostile_input.py); the large uploads here keep their bodies in memory instead.
    import functools

    import werkzeug.test

    monkeypatch.setattr(werkzeug.test, "stream_encode_multipart",
                        functools.partial(werkzeug.test.stream_encode_multipart, use_tempfile=False))


@pytest.fixture
def upd(app, program):
    def factory(**overrides):
        overrides.setdefault("day", today() - timedelta(days=2))
        return Upd(inn_of(app, program.company_id), **overrides)

    return factory


@pytest.mark.parametrize(("version", "encoding"), [("5.01", "windows-1251"), ("5.03", "utf-8")])
def test_a_upd_becomes_a_claim_under_review_with_the_file_as_its_scan(client, app, company_token, upd, version,
                                                                      encoding):
    response = post(client, company_token, upd(version=version, encoding=encoding).bytes())
    assert response.status_code == 201, response.get_json()
    claim = response.get_json()["results"][0]["claim"]
    assert claim["status"] == SUBMITTED and claim["scan_required"] is False
    assert claim["invoice_number"] == "УПД-101" and claim["customer_inn"] == "7707083893"
    assert [(line["sku"], line["quantity"], line["unit_price_kopecks"]) for line in claim["lines"]] == [
        ("SPL-09", 2, 4_900_000)]
    with app.app_context():
        stored = db.session.get(Claim, claim["id"])
        assert stored.scan_mimetype == "application/xml" and stored.scan_filename == "upd.xml"


def test_the_same_upd_again_returns_its_claim_and_under_another_id_it_is_flagged(client, app, company_token, upd):
    first = post(client, company_token, upd().bytes())
    again = post(client, company_token, upd().bytes())
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["results"][0]["claim"]["id"] == first.get_json()["results"][0]["claim"]["id"]
    assert count_claims(app) == 1
    # The same invoice under another document id (a colleague, or another system): flagged as a duplicate.
    other = post(client, company_token, upd().bytes(), external_id="1C-77")
    assert other.status_code == 201
    assert other.get_json()["results"][0]["claim"]["possible_duplicate"] is True


def test_a_upd_of_another_seller_is_refused(client, app, company_token, program):
    response = post(client, company_token, Upd(inn_of(app, program.other_company_id),
                                               day=today() - timedelta(days=1)).bytes())
    assert response.status_code == 422
    assert "file" in response.get_json()["errors"]
    assert count_claims(app) == 0


def test_an_unknown_article_is_named_until_the_company_maps_it(client, app, company_token, upd, program):
    document = upd(items=[Item("Сплит-система 09", "SPL-09", "1", "40833.33", "40833.33", "49000.00"),
                          Item("Труба медная 1/4", "ТМ-14", "10", "833.33", "8333.33", "10000.00")])
    refused = post(client, company_token, document.bytes())
    assert refused.status_code == 422
    assert "ТМ-14" in refused.get_json()["errors"]["lines"][0]
    assert count_claims(app) == 0
    with app.app_context():
        pipe = db.session.scalar(select(Product).where(Product.sku == "PIPE"))
        db.session.add(ArticleMapping(company_id=program.company_id, article="ТМ-14", article_key="ТМ-14",
                                      product_id=pipe.id))
        db.session.commit()
    accepted = post(client, company_token, document.bytes())
    assert accepted.status_code == 201, accepted.get_json()
    assert [line["sku"] for line in accepted.get_json()["results"][0]["claim"]["lines"]] == ["SPL-09", "PIPE"]


def test_a_zip_gives_each_upd_its_result_and_keeps_the_good_ones(client, app, company_token, upd):
    content = zipped({"1.xml": upd(number="1").bytes(), "2.xml": upd(number="2", version="5.03").bytes(),
                      "bad.xml": b"<broken", "future.xml": upd(number="3", day=today() + timedelta(days=1)).bytes()})
    response = post(client, company_token, content, name="pack.zip")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["created"], body["failed"]) == (2, 2)
    assert [r["result"] for r in body["results"]] == ["created", "created", "error", "error"]
    assert "XML" in body["results"][2]["errors"]["file"][0]
    assert count_claims(app) == 2


@pytest.mark.parametrize(("content", "field"), [
    (b"<not closed", "file"),
    (BILLION_LAUGHS, "file"),
    (EXTERNAL_ENTITY, "file"),
    (b'<?xml version="1.0" encoding="koi8-r"?><a/>', "file"),
    (b"%PDF-1.4 not a upd", "file"),
])
def test_bad_files_get_a_clear_422_and_nothing_is_made(client, app, company_token, content, field):
    response = post(client, company_token, content)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.get_json()["errors"][field]
    assert count_claims(app) == 0


def test_bad_documents_get_a_clear_422(client, app, company_token, upd):
    for document in (upd(day=today() + timedelta(days=3)), upd(function="КСЧФ", file_prefix="ON_NKORSCHFDOPPR"),
                     upd(revision=True), upd(items=[Item("Товар", "SPL-09", "-1", "100", "-100", "-120")])):
        response = post(client, company_token, document.bytes())
        assert response.status_code == 422, response.get_json()
        assert response.get_json()["errors"]["file"]
    assert count_claims(app) == 0


def test_a_zip_of_ten_thousand_files_is_refused_unread(client, app, company_token):
    response = post(client, company_token, zipped({f"{n}.xml": b"" for n in range(10_000)}), name="many.zip")
    assert response.status_code == 422
    assert "10000" in response.get_json()["detail"].replace(" ", "").replace("\xa0", "")


def test_a_zip_bomb_is_refused_by_its_sizes(client, app, company_token):
    bomb = zipped({f"{n}.xml": b"<" + b" " * (6 * 1024 * 1024) for n in range(20)})
    assert len(bomb) < 1_000_000
    response = post(client, company_token, bomb, name="bomb.zip")
    assert response.status_code == 422
    assert count_claims(app) == 0


def test_a_50_mb_file_is_refused_before_it_is_read(client, app, company_token):
    response = post(client, company_token, b"<" + b" " * (50 * 1024 * 1024))
    assert response.status_code == 413
    assert response.headers["Content-Type"].startswith("application/problem+json")


def test_a_upd_without_its_seller_or_file_is_a_field_error(client, company_token):
    response = client.post("/api/v1/claims/upd", data={"seller_email": "seller@a.test"},
                           headers=auth(company_token), content_type="multipart/form-data")
    assert response.status_code == 422
    assert "file" in response.get_json()["errors"]
