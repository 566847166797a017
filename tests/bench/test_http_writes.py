"""The HTTP benchmark's two POSTs (bench/http_writes.py) keep doing the whole work as the forms change: each
prepared checkout places one order, and the claim form's fields submit a claim. Run here through the test client
(wrk itself is not needed); a benchmark whose requests quietly fail would measure error pages."""

import io
from pathlib import Path
from urllib.parse import parse_qsl

from sqlalchemy import func, select

from bench import http_writes
from portal.claims.models import SUBMITTED, Claim
from portal.extensions import db as _db
from portal.shop.models import Order
from tests import factories
from tests.claims.factories import product
from tests.shop.factories import prize


def test_every_prepared_checkout_places_one_order(app, make, monkeypatch, tmp_path):
    # No test-wide app context here: each request then has its own, as under gunicorn (flask-login keeps the
    # signed-in person in the app context's `g`).
    monkeypatch.setattr(http_writes, "BUYERS", 4)
    with app.app_context():
        make.company()
        prize(points=300, stock=1)
        _db.session.commit()
    script = http_writes.prepare_buyers(app.config["SQLALCHEMY_DATABASE_URI"], app.config["SECRET_KEY"],
                                        str(tmp_path), threads=2)
    requests = Path(script[1]).read_text(encoding="utf-8").splitlines()
    assert len(requests) == 4 and script[2] == "2"
    for line in requests:
        cookie, body = line.split("\t")
        name, value = cookie.split("=", 1)
        client = app.test_client()  # no cookie jar between requests, as with wrk: only the prepared session
        client.set_cookie(name, value)
        response = client.post("/shop/checkout", data=dict(parse_qsl(body)))
        assert response.status_code == 302 and "/shop/orders/" in response.headers["Location"]
    with app.app_context():
        assert _db.session.scalar(select(func.count(Order.id))) == 4  # the stock of 1 was lifted for the run
        assert len(set(_db.session.scalars(select(Order.user_id)))) == 4


def test_the_claim_fields_submit_a_claim(app, db, make, tmp_path):
    seller = make.user()
    product(sku="BENCH-1")
    db.session.commit()
    script = http_writes.claim_script(str(tmp_path), csrf_token="unused-here", product_sku="BENCH-1")
    fields = dict(line.split("\t", 1) for line in Path(script[1]).read_text(encoding="utf-8").splitlines())
    fields.pop("csrf_token")
    client = app.test_client()
    client.post("/login", data={"email": seller.email, "password": factories.PASSWORD})
    response = client.post("/claims/new", data={**fields, "invoice_number": "B-0-1",
                                                "scan": (io.BytesIO(http_writes.PDF), "invoice.pdf")})
    assert response.status_code == 302
    claim = db.session.scalar(select(Claim).where(Claim.invoice_number == "B-0-1"))
    assert claim.status == SUBMITTED and len(claim.lines) == 2
