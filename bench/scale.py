"""A program at the size of a real one: `python -m bench scale [PATH] [--participants N] ...`.

Builds 100,000 participants in 2,000 companies, 100,000 claims and about 5 million ledger entries (2.5 million
transactions of two entries each) into a fresh database: SQLite at PATH (default instance/scale.sqlite3), or
DATABASE_URL when set (PostgreSQL). The schema comes from the migrations; rows are written in bulk (executemany on
SQLite, COPY on PostgreSQL), not through the services, so the builder computes what the services keep (running
balances, account balances, lots and their allocations, first in first out by expiry) and `check-ledger` must
find nothing wrong. The read benchmarks (`python -m bench reads`) then run against it.
"""

import argparse
import hashlib
import json
import os
import random
import time
from collections import deque
from datetime import date, datetime, timedelta
from pathlib import Path

from bench.writer import Writer
from portal.core.inn import make_inn
from portal.core.time import add_months, utcnow

PASSWORD = "bench12345"
MOST_ACTIVE_EMAIL = "p0@scale.test"
MANAGER_EMAIL = "manager@scale.test"
FIRST = ["Александр", "Дмитрий", "Сергей", "Анна", "Мария", "Елена", "Ольга", "Иван", "Павел", "Юлия", "Никита",
         "Татьяна", "Андрей", "Наталья", "Михаил", "Ксения", "Артём", "Екатерина", "Роман", "Светлана"]
LAST = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков",
        "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов",
        "Николаев", "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв", "Борисов"]
EXPIRE_MONTHS = 12  # the program's default (ProgramSettings.points_expire_months)
ISSUANCE_ID, REDEMPTION_ID = 1, 2


def wallet_id(user_id: int) -> int:
    return 1 + 2 * user_id  # accounts 1 and 2 are the system's; then wallet and debt of each participant


def sizes(participants: int, companies=None, claims=None, entries=None, heavy=None) -> dict:
    """The default program, or one scaled down from the number of participants."""
    return {
        "participants": participants,
        "companies": companies or max(1, participants // 50),
        "claims": claims if claims is not None else participants,
        "entries": entries or participants * 50,
        "heavy": heavy or min(16_000, max(10, participants // 6)),
    }


def ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def build(app, size: dict, seed: int = 13, log=print) -> dict:
    """Fill the (freshly migrated) database of `app`. Returns counts of what was written."""
    from portal.auth.passwords import hash_password
    from portal.extensions import db

    rng = random.Random(seed)
    now = utcnow().replace(microsecond=0)
    with app.app_context():
        writer = Writer(db.engine)
        try:
            counts = _build(writer, rng, now, size, hash_password(PASSWORD), log)
            writer.finish()
        finally:
            writer.close()
    return counts


def _build(writer: Writer, rng, now, size, password, log) -> dict:
    started = time.perf_counter()
    n_people, n_companies = size["participants"], size["companies"]
    inns = [make_inn(f"7{i:08d}") for i in range(n_companies)]
    writer.rows("partner_companies", ("id", "inn", "name", "region", "status", "created_at"), [
        (i + 1, inns[i], f"ООО «Партнёр {i}»", f"Регион {i % 80}", "approved", ts(now - timedelta(days=400)))
        for i in range(n_companies)
    ])
    company_of = [1 + rng.randrange(n_companies) for _ in range(n_people)]
    people = []
    for i in range(n_people):
        joined = now - timedelta(days=380, seconds=rng.randrange(86400 * 15))
        birthday = date(1960 + rng.randrange(45), 1 + rng.randrange(12), 1 + rng.randrange(28))
        people.append((i + 1, f"p{i}@scale.test", password, f"{i:032d}",
                       f"{rng.choice(LAST)} {rng.choice(FIRST)} {i}", f"+7999{i:07d}", birthday.isoformat(),
                       rng.choice(("manager", "specialist")), "participant", "ru", 1, company_of[i], ts(joined),
                       ts(joined)))
    staff = [(n_people + 1, MANAGER_EMAIL, password, f"{n_people + 1:032d}", "Менеджер Программы", None, None, None,
              "manager", "ru", 1, None, ts(now - timedelta(days=500)), ts(now - timedelta(days=500)))]
    writer.rows("users", ("id", "email", "password_hash", "session_token", "full_name", "phone", "birthday",
                          "audience", "role", "locale", "active", "company_id", "created_at", "email_confirmed_at"),
                people + staff)
    writer.rows("company_memberships", ("user_id", "company_id", "started_at"),
                [(i + 1, company_of[i], people[i][-2]) for i in range(n_people)])
    writer.rows("products", ("id", "sku", "name", "category", "list_price_kopecks", "cost_kopecks", "active",
                             "created_at", "updated_at"), [
        (i + 1, f"SKU-{i:05d}", f"Товар {i}", f"Категория {i % 12}", 100_000 + 1_000 * i, 70_000 + 700 * i, 1,
         ts(now - timedelta(days=400)), ts(now - timedelta(days=400))) for i in range(200)
    ])
    log(f"  companies, {n_people:,} participants, products: {time.perf_counter() - started:.1f} s")

    # Claims: most approved (each earns points, posted below with the other transactions), some waiting.
    events = []  # (seconds before now, user_id, kind, source_type, source_id, points)
    claims, lines = [], []
    manager_id = n_people + 1
    for c in range(1, size["claims"] + 1):
        user = 1 + rng.randrange(n_people)
        age = rng.randrange(60, 86400 * 340)
        roll = rng.random()
        status = "approved" if roll < 0.9 else "submitted" if roll < 0.95 else "rejected" if roll < 0.98 else "draft"
        quantity, product = 1 + rng.randrange(20), 1 + rng.randrange(200)
        price = 100_000 + 1_000 * (product - 1)
        points = quantity * price // 10_000 if status == "approved" else None
        created = now - timedelta(seconds=age + 3600)
        number = f"СЧ-{c:07d}"
        claims.append((c, user, company_of[user - 1], inns[company_of[user - 1] - 1], number, number.replace(" ", ""),
                       (created - timedelta(days=2)).date().isoformat(), f"ООО «Клиент {c % 5000}»", status, 0,
                       quantity * price, points, None if status == "draft" else ts(created),
                       ts(now - timedelta(seconds=age)) if status in ("approved", "rejected") else None,
                       manager_id if status in ("approved", "rejected") else None,
                       "other" if status == "rejected" else None, ts(created)))
        lines.append((c, c, 1, product, quantity, price, 70_000 + 700 * (product - 1)))
        if status == "approved":
            events.append((age, user, "earn", "claim", c, points))
    writer.rows("claims", ("id", "user_id", "company_id", "seller_inn", "invoice_number", "invoice_number_key",
                           "invoice_date", "customer_name", "status", "possible_duplicate", "total_kopecks", "points",
                           "submitted_at", "decided_at", "decided_by_id", "rejection_reason", "created_at"), claims)
    writer.rows("claim_lines", ("id", "claim_id", "position", "product_id", "quantity", "unit_price_kopecks",
                                "unit_cost_kopecks"), lines)
    del claims, lines
    log(f"  {size['claims']:,} claims: {time.perf_counter() - started:.1f} s")

    # The other transactions: each participant's share of the total, one of them far more active than the rest.
    transactions = size["entries"] // 2 - len(events)
    shares = [rng.expovariate(1.0) for _ in range(n_people - 1)]
    scale = (transactions - size["heavy"]) / sum(shares)
    per_person = [size["heavy"]] + [max(1, round(share * scale)) for share in shares]
    horizon = 86400 * 30 * (EXPIRE_MONTHS - 1)  # nothing has expired yet: `run-jobs` has no points to expire
    for user, count in enumerate(per_person, start=1):
        for _ in range(count):
            age = rng.randrange(60, horizon)
            if rng.random() < 0.7:
                events.append((age, user, "earn", "sale", None, 50 + rng.randrange(850)))
            else:
                events.append((age, user, "spend", "order", None, 100 + rng.randrange(1_400)))
    events.sort(key=lambda event: -event[0])  # oldest first: ids follow time, as when posted one by one
    log(f"  {len(events):,} transactions planned: {time.perf_counter() - started:.1f} s")

    writer.rows("ledger_accounts", ("id", "code", "kind", "user_id", "balance"),
                [(ISSUANCE_ID, "system:issuance", "issuance", None, 0),
                 (REDEMPTION_ID, "system:redemption", "redemption", None, 0)]
                + [row for u in range(1, n_people + 1)
                   for row in ((wallet_id(u), f"wallet:{u}", "wallet", u, 0),
                               (wallet_id(u) + 1, f"debt:{u}", "debt", u, 0))])
    counts = _post(writer, events, now, n_people, log, started)
    log(f"  ledger written: {time.perf_counter() - started:.1f} s")
    return counts


def _post(writer: Writer, events, now, n_people, log, started) -> dict:
    """Post the events as the ledger service would, and write transactions, entries, lots and allocations."""
    balance = [0] * (n_people + 1)
    open_lots = [deque() for _ in range(n_people + 1)]  # each wallet's lots with points left, soonest expiry first
    lots = []  # [id, account, entry, amount, remaining, earned_at, expires_at]
    allocations = []
    issuance = redemption = 0
    tx_id = entry_id = 0
    tx_rows, entry_rows = [], []
    tx_columns = ("id", "idempotency_key", "fingerprint", "kind", "source_type", "source_id", "params", "created_at")
    entry_columns = ("id", "transaction_id", "account_id", "amount", "balance_after")
    order_number = 0
    for age, user, kind, source_type, source_id, points in events:
        if kind == "spend":
            points = min(points, balance[user])
            if points < 100:
                kind, source_type, points = "earn", "sale", 50 + age % 850
        moment = now - timedelta(seconds=age)
        tx_id += 1
        if kind == "earn":
            if source_type == "sale":
                source_id, params = tx_id, json.dumps({"invoice": f"ОП-{tx_id}"}, ensure_ascii=False)
            else:
                params = json.dumps({"invoice": f"СЧ-{source_id:07d}"}, ensure_ascii=False)
            key = f"{source_type}:{source_id}:earn"
            issuance -= points
            balance[user] += points
            entry_rows.append((entry_id + 1, tx_id, ISSUANCE_ID, -points, issuance))
            entry_rows.append((entry_id + 2, tx_id, wallet_id(user), points, balance[user]))
            entry_id += 2
            lot = [len(lots) + 1, wallet_id(user), entry_id, points, points, ts(moment),
                   ts(add_months(moment, EXPIRE_MONTHS))]
            lots.append(lot)
            open_lots[user].append(lot)
        else:
            order_number += 1
            source_id, params, key = order_number, "{}", f"order:{order_number}:spend"
            balance[user] -= points
            redemption += points
            entry_rows.append((entry_id + 1, tx_id, wallet_id(user), -points, balance[user]))
            entry_rows.append((entry_id + 2, tx_id, REDEMPTION_ID, points, redemption))
            entry_id += 2
            queue, left = open_lots[user], points
            while left:
                lot = queue[0]
                taken = min(left, lot[4])
                lot[4] -= taken
                left -= taken
                allocations.append((entry_id - 1, lot[0], taken))
                if lot[4] == 0:
                    queue.popleft()
        fingerprint = hashlib.sha256(key.encode()).hexdigest()
        tx_rows.append((tx_id, key, fingerprint, kind, source_type, source_id, params, ts(moment)))
        if len(tx_rows) >= 100_000:
            writer.rows("ledger_transactions", tx_columns, tx_rows)
            writer.rows("ledger_entries", entry_columns, entry_rows)
            tx_rows, entry_rows = [], []
            if tx_id % 500_000 == 0:
                log(f"    {tx_id:,} transactions: {time.perf_counter() - started:.1f} s")
    writer.rows("ledger_transactions", tx_columns, tx_rows)
    writer.rows("ledger_entries", entry_columns, entry_rows)
    writer.rows("ledger_lots", ("id", "account_id", "entry_id", "amount", "remaining", "earned_at", "expires_at"),
                [tuple(lot) for lot in lots])
    writer.rows("ledger_lot_allocations", ("entry_id", "lot_id", "amount"), allocations)
    writer.update_balances([(issuance, ISSUANCE_ID), (redemption, REDEMPTION_ID)]
                           + [(balance[u], wallet_id(u)) for u in range(1, n_people + 1) if balance[u]])
    wallets = balance[1:]
    writer.rows("ledger_totals", ("kind", "balance", "accounts_with_points"),
                [("wallet", sum(wallets), sum(1 for points in wallets if points > 0))])
    return {"transactions": tx_id, "entries": entry_id, "lots": len(lots), "allocations": len(allocations)}


def make_app(url: str):
    from portal import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                       "SECRET_KEY": "bench", "TESTING": True})


def default_path() -> Path:
    return Path(__file__).resolve().parent.parent / "instance" / "scale.sqlite3"


def database_url(path: str | None) -> str:
    if os.environ.get("DATABASE_URL") and not path:
        return os.environ["DATABASE_URL"]
    target = Path(path) if path else default_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{target.resolve()}"


def create(url: str, size: dict, log=print):
    """Migrate a fresh database at `url` and fill it; returns the app."""
    import flask_migrate

    app = make_app(url)
    with app.app_context():
        from portal.extensions import db

        if db.engine.dialect.name == "postgresql":
            db.drop_all()
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        flask_migrate.upgrade()
    build(app, size, log=log)
    from bench.scale_kpi import add_kpi_plan

    add_kpi_plan(app, log=log)
    return app


def run(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench scale", description=__doc__.split("\n")[0])
    parser.add_argument("path", nargs="?", help="SQLite file (default instance/scale.sqlite3, or DATABASE_URL)")
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--companies", type=int)
    parser.add_argument("--claims", type=int)
    parser.add_argument("--entries", type=int, help="ledger entries (two per transaction)")
    parser.add_argument("--heavy", type=int, help="transactions of the most active participant")
    args = parser.parse_args(argv)
    size = sizes(args.participants, args.companies, args.claims, args.entries, args.heavy)
    url = database_url(args.path)
    print(f"scale: {size} on {url.split('@')[-1]}")
    start, cpu = time.perf_counter(), time.process_time()
    app = create(url, size)
    built = time.perf_counter() - start
    print(f"  built in {built:.0f} s ({time.process_time() - cpu:.0f} s CPU in this process)")
    from sqlalchemy import text

    from portal.extensions import db
    from portal.ledger.reports import check_ledger

    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        if postgres and db.session.execute(text("SHOW lc_ctype")).scalar() in ("C", "POSIX"):
            print("  note: this database has LC_CTYPE=C, under which pg_trgm ignores Cyrillic letters: the people "
                  "search by a Russian name reads every row. Create it with a UTF-8 ctype (see README, PostgreSQL).")
        start = time.perf_counter()
        problems = check_ledger()
        print(f"  check-ledger: {len(problems)} problems in {time.perf_counter() - start:.1f} s")
        for line in problems[:10]:
            print("   ", line)
        db.session.remove()
    if problems:
        raise SystemExit(1)
    print(f"  total {time.perf_counter() - start + built:.0f} s")
