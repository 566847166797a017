"""The shop at the size of a busy year: 300 prizes, 1,000 buyers, 1,000 orders."""

import random
import time

from sqlalchemy import insert

from bench.harness import add_people, bench_app, page_getter, timed
from portal.auth.models import User
from portal.core.inn import make_inn
from portal.core.time import utcnow
from portal.extensions import db
from portal.ledger import services as ledger
from portal.partners.models import APPROVED, PartnerCompany
from portal.shop import services
from portal.shop.models import Prize, PrizeCategory

PRIZES = 300
BUYERS = 1_000


def build(rng: random.Random) -> float:
    now = utcnow()
    db.session.add(PartnerCompany(inn=make_inn("600000001"), name="ООО «Партнёр»", region="Москва", status=APPROVED))
    add_people(BUYERS, email="b{i}@bench.test", full_name="Покупатель {i}")
    for c in range(10):
        db.session.add(PrizeCategory(name=f"Категория {c}", position=c))
    db.session.flush()
    db.session.execute(insert(Prize), [
        {"category_id": 1 + i % 10, "name": f"Приз {i}", "description": "", "price_points": rng.randint(5, 250) * 10,
         "stock": rng.choice([None, 1000]), "electronic": False, "active": True, "low_stock_threshold": 3,
         "created_at": now} for i in range(PRIZES)
    ])
    for i in range(1, BUYERS + 1):
        ledger.earn(i, 3000, key=f"s{i}", source_type="sale", source_id=i)
    db.session.commit()
    start = time.perf_counter()
    for i in range(1, BUYERS + 1):
        person = db.session.get(User, i)
        services.add_to_cart(person, db.session.get(Prize, rng.randint(1, PRIZES // 3)))
        services.place_order(person, request_token=f"b{i}",
                             delivery=services.Delivery("г. Москва, ул. Садовая, д. 1, кв. 1", "+79161234567", ""))
        db.session.commit()
    return time.perf_counter() - start


def run() -> None:
    print(f"shop: {PRIZES} prizes, {BUYERS} buyers, {BUYERS} orders")
    with bench_app() as app:
        with app.app_context():
            seconds = build(random.Random(5))
            print(f"  placed {BUYERS} orders in {seconds:.1f} s on {db.engine.dialect.name}: "
                  f"{seconds / BUYERS * 1000:.1f} ms each (cart, stock, points, commit)")
        buyer, manager = page_getter(app, "b1@bench.test"), page_getter(app, "manager@bench.test")
        timed("catalogue, first page", lambda: buyer("/shop"))
        timed("catalogue, what I can afford, cheapest first", lambda: buyer("/shop?affordable=1&sort=cheap"))
        timed("catalogue search", lambda: buyer("/shop?q=приз 1"))
        timed("fulfilment queue, 1,000 orders", lambda: manager("/console/orders"))
        timed("orders to ship, XLSX", lambda: manager("/console/orders/export.xlsx?status=placed"), repeat=5)
        timed("prize tax register, 1,000 participants", lambda: manager("/console/prize-tax"), repeat=5)
