"""The ledger at the size of a year of a small program: 2,000 participants, 15,000 transactions."""

import random
import time

from sqlalchemy import insert

from bench.harness import add_people, bench_app, page_getter, timed
from portal.core.inn import make_inn
from portal.core.time import utcnow
from portal.extensions import db
from portal.ledger import services as ledger
from portal.ledger.reports import check_ledger, program_totals
from portal.partners.models import APPROVED, PartnerCompany

PEOPLE = 2_000
TRANSACTIONS = 15_000
HEAVY_USER_TRANSACTIONS = 2_500


def build(rng: random.Random) -> int:
    now = utcnow()
    db.session.execute(insert(PartnerCompany), [
        {"inn": make_inn(f"6{i:08d}"), "name": f"ООО «Партнёр {i}»", "region": "Москва", "status": APPROVED,
         "created_at": now} for i in range(100)
    ])
    add_people(PEOPLE, email="p{i}@bench.test", full_name="Участник {i}", company_ids=100)
    db.session.commit()
    start = time.perf_counter()
    for n in range(TRANSACTIONS):
        user_id = 1 if n < HEAVY_USER_TRANSACTIONS else rng.randint(1, PEOPLE)
        if n % 4 == 3 and ledger.balance_of(user_id) >= 100:
            ledger.spend(user_id, 100, key=f"s{n}", source_type="order", source_id=n)
        else:
            ledger.earn(user_id, rng.randint(50, 900), key=f"e{n}", source_type="sale", source_id=n,
                        params={"invoice": f"СЧ-{n}"})
        if n % 500 == 499:
            db.session.commit()
    db.session.commit()
    return time.perf_counter() - start


def run() -> None:
    print(f"ledger: {PEOPLE} participants, {TRANSACTIONS} transactions ({HEAVY_USER_TRANSACTIONS} for one person)")
    with bench_app() as app:
        with app.app_context():
            seconds = build(random.Random(11))
            print(f"  posted {TRANSACTIONS} transactions in {seconds:.1f} s on {db.engine.dialect.name}: "
                  f"{TRANSACTIONS / seconds:,.0f} per second, one at a time through the service")
            timed("balance of one participant", lambda: ledger.balances_of(1), repeat=200)
            timed("program totals", program_totals)
            timed("check-ledger over every entry", check_ledger, repeat=5)

            counter = iter(range(10**9))
            timed("post one earning and commit", lambda: (
                ledger.earn(2, 10, key=f"t{next(counter)}", source_type="sale", source_id=1), db.session.commit()))
        participant, manager = page_getter(app, "p0@bench.test"), page_getter(app, "manager@bench.test")
        timed("statement page, 2,500 entries, first page", lambda: participant("/points"))
        timed("statement page, last page", lambda: participant("/points?page=100"))
        timed("statement filtered by kind", lambda: participant("/points?kind=spend"))
        timed("statement XLSX export, 2,500 rows", lambda: participant("/points/export.xlsx"), repeat=5)
        timed("program totals page", lambda: manager("/console/points"))
