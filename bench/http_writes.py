"""The two forms people submit most, driven by wrk through Lua scripts (part of `python -m bench http`).

- Claim submission: the demo seller posts the claim form (invoice, two lines, a PDF scan, "submit") with a new
  invoice number each time; every request saves a claim and submits it for review.
- Order placement: each request is the checkout of another participant, whose cart holds one prize and whose
  wallet covers it; every request places one order. The buyers are made before the run (funded through the
  ledger, cart filled through the shop's service) and signed in by session cookies minted with the app's own
  session serializer, since signing in 3,000 people through the form would hash 3,000 passwords.

Both count what the database holds after the run: the req/s of wrk are only what it measured, the claims and
orders written are the proof each request did the whole work.
"""

import os
import secrets
import tempfile
from contextlib import contextmanager

from sqlalchemy import func, insert, select

BUYERS = 3_000
DELIVERY = {"address": "г. Москва, ул. Садовая, д. 1, кв. 1", "phone": "+7 916 123-45-67", "email": ""}
PDF = b"%PDF-1.4\n% bench invoice\n"

CLAIM_LUA = r"""
local boundary = "----benchboundary7c1f"
local n, fields, scan = 0, {}, ""
local counter = 0  -- setup() runs in wrk's main state and numbers the threads: `tid` is a global of each thread
function setup(thread) thread:set("tid", counter); counter = counter + 1 end
function init(args)
  for line in io.lines(args[1]) do
    local name, value = line:match("([^\t]*)\t(.*)")
    table.insert(fields, {name, value})
  end
  local file = io.open(args[2], "rb"); scan = file:read("*a"); file:close()
end
local function part(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name .. "\"\r\n\r\n" .. value .. "\r\n"
end
function request()
  n = n + 1
  local body = part("invoice_number", "B-" .. tid .. "-" .. n .. "-" .. os.time())
  for _, field in ipairs(fields) do body = body .. part(field[1], field[2]) end
  body = body .. "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"scan\"; filename=\"invoice.pdf\"\r\n"
    .. "Content-Type: application/pdf\r\n\r\n" .. scan .. "\r\n--" .. boundary .. "--\r\n"
  local headers = {}  -- wrk.format replaces wrk.headers (the -H cookie) when given headers: copy them
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
  return wrk.format("POST", nil, headers, body)
end
"""

ORDER_LUA = r"""
local threads, i, requests = 1, 0, {}
local counter = 0  -- setup() runs in wrk's main state and numbers the threads: `tid` is a global of each thread
function setup(thread) thread:set("tid", counter); counter = counter + 1 end
function init(args)
  threads = tonumber(args[2])
  for line in io.lines(args[1]) do table.insert(requests, line) end
  i = tid
end
function request()
  local line = requests[i % #requests + 1]
  i = i + threads
  local cookie, body = line:match("([^\t]*)\t(.*)")
  return wrk.format("POST", nil, {["Cookie"] = cookie, ["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
"""


@contextmanager
def _database(url: str, secret_key: str = "bench-writes"):
    """The portal's app on the benchmark's database, in an app context; its connections closed afterwards (the
    gunicorn workers are the ones serving it)."""
    from portal import create_app
    from portal.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret_key, "TESTING": True})
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def _write(directory: str, name: str, text: str | bytes) -> str:
    path = os.path.join(directory, name)
    with open(path, "wb") as file:
        file.write(text.encode() if isinstance(text, str) else text)
    return path


def claim_script(directory: str, csrf_token: str, product_sku: str) -> list[str]:
    """The Lua script and its arguments: the form's fields (one per line, name TAB value) and the scan."""
    from portal.core.time import today

    fields = {
        "csrf_token": csrf_token, "invoice_date": today().isoformat(), "customer_name": "ООО «Нагрузка»",
        "customer_inn": "", "lines-0-product": product_sku, "lines-0-quantity": "2", "lines-0-price": "1000",
        "lines-1-product": product_sku, "lines-1-quantity": "1", "lines-1-price": "1500",
        "lines-2-product": "", "lines-2-quantity": "", "lines-2-price": "", "action": "submit",
    }
    lines = "".join(f"{name}\t{value}\n" for name, value in fields.items())
    return [_write(directory, "claim.lua", CLAIM_LUA), _write(directory, "claim-fields.txt", lines),
            _write(directory, "invoice.pdf", PDF)]


def prepare_buyers(url: str, secret_key: str, directory: str, threads: int) -> list[str]:
    """BUYERS participants with one prize in the cart and the points for it; the order Lua script and its
    arguments (one request per line: session cookie TAB form body)."""
    from urllib.parse import urlencode

    from flask import g, session
    from flask_login import login_user
    from flask_wtf.csrf import generate_csrf

    from portal.auth.models import PARTICIPANT, User
    from portal.auth.passwords import hash_password
    from portal.core.time import utcnow
    from portal.extensions import db
    from portal.ledger import services as ledger
    from portal.partners.models import APPROVED, PartnerCompany
    from portal.shop import services as shop
    from portal.shop.models import Prize

    lines = []
    with _database(url, secret_key) as app:
        company = db.session.scalar(select(PartnerCompany).where(PartnerCompany.status == APPROVED)
                                    .order_by(PartnerCompany.id))
        prize = db.session.scalar(select(Prize).where(Prize.active.is_(True), Prize.electronic.is_(False),
                                                      Prize.audience.is_(None))
                                  .order_by(Prize.price_points))
        prize.stock = None  # unlimited: 3,000 orders of one prize
        run = secrets.token_hex(3)  # a second run on the same database makes buyers of its own
        now, password = utcnow(), hash_password(secrets.token_urlsafe(12))  # nobody signs in with it
        db.session.execute(insert(User), [
            {"email": f"buyer{i}.{run}@bench.test", "password_hash": password, "session_token": f"{run}{i:026d}",
             "full_name": f"Покупатель {i}", "role": PARTICIPANT, "locale": "ru", "active": True,
             "audience": "manager", "company_id": company.id, "created_at": now, "email_confirmed_at": now}
            for i in range(BUYERS)
        ])
        buyers = list(db.session.scalars(select(User).where(User.email.like(f"buyer%.{run}@bench.test"))
                                         .order_by(User.id)))
        for buyer in buyers:
            ledger.earn(buyer.id, prize.price_points, key=f"bench-buyer-{buyer.id}", source_type="sale",
                        source_id=buyer.id)
            shop.add_to_cart(buyer, prize)
        db.session.commit()
        serializer = app.session_interface.get_signing_serializer(app)
        cookie_name = app.config["SESSION_COOKIE_NAME"]
        for buyer in buyers:
            with app.test_request_context():
                g.pop("csrf_token", None)  # flask-wtf keeps the token in g, which outlives this request context
                login_user(buyer)
                form = {"csrf_token": generate_csrf(), "request_token": secrets.token_urlsafe(18), **DELIVERY}
                lines.append(f"{cookie_name}={serializer.dumps(dict(session))}\t{urlencode(form)}\n")
    return [_write(directory, "order.lua", ORDER_LUA), _write(directory, "orders.txt", "".join(lines)), str(threads)]


def count(url: str, what: str) -> int:
    """Claims submitted or orders placed so far in the benchmark's database."""
    from portal.claims.models import Claim
    from portal.extensions import db
    from portal.shop.models import Order

    if what == "claims":
        query = select(func.count(Claim.id)).where(Claim.invoice_number.like("B-%"), Claim.status != "draft")
    else:
        query = select(func.count(Order.id))
    with _database(url):
        return db.session.scalar(query)


def scratch() -> str:
    return tempfile.mkdtemp(prefix="portal-bench-writes-")


def first_product_sku(url: str) -> str:
    from portal.extensions import db
    from portal.products.models import Product

    with _database(url):
        return db.session.scalar(select(Product.sku).where(Product.active.is_(True)).order_by(Product.id))
