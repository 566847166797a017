"""The bell at the size the issue names: 100,000 people, 10 million notifications. `python -m bench notifications
[--people N] [--notifications N]`.

The count the bell shows is one primary-key read of the person's counter (kept by the statements that add and
read notifications), so it costs the same at any size; the page reads one index range of the person's rows."""

import argparse
import random
import time
from datetime import timedelta

from sqlalchemy import func, select, text

from bench.harness import add_people, bench_app, page_getter, timed
from portal.core.inn import make_inn
from portal.core.time import utcnow
from portal.extensions import db
from portal.notifications import services
from portal.notifications.models import Notification, NotificationCounter
from portal.partners.models import APPROVED, PartnerCompany

KINDS = ("claim_approved", "points_credited", "contest_started", "order_updated", "lead_protection_ending")


def build(people: int, notifications: int, rng: random.Random) -> None:
    now = utcnow()
    db.session.add(PartnerCompany(inn=make_inn("612345678"), name="ООО «Партнёр»", region="Москва",
                                  status=APPROVED, created_at=now))
    add_people(people, email="p{i}@bench.test", full_name="Участник {i}")
    db.session.commit()
    start = time.perf_counter()
    # Straight through the driver (executemany of tuples): at ten million rows the ORM's per-row cost would
    # dominate. Times are written as the ORM stores them (naive UTC, ISO text on SQLite).
    sql = ("INSERT INTO notifications (user_id, kind, params, link, created_at, read_at) "
           "VALUES (%s, %s, %s, %s, %s, %s)")
    cursor = db.session.connection().connection.cursor()
    if db.engine.dialect.name == "sqlite":
        sql = sql.replace("%s", "?")
    chunk, minutes = 100_000, 89 * 24 * 60
    for first in range(0, notifications, chunk):
        rows = []
        for n in range(first, min(first + chunk, notifications)):
            created = now - timedelta(minutes=rng.randrange(minutes))
            stamp = created.isoformat(sep=" ") if db.engine.dialect.name == "sqlite" else created
            rows.append((1 + rng.randrange(people), KINDS[n % len(KINDS)], f'{{"id": {n}, "points": 100}}',
                         "/points", stamp, None if rng.random() < 0.2 else stamp))
        cursor.executemany(sql, rows)
        db.session.commit()
        cursor = db.session.connection().connection.cursor()
    # The counters as the statements keep them, rebuilt once in bulk.
    db.session.execute(text("INSERT INTO notification_counters (user_id, unread) SELECT user_id, count(*) "
                            "FROM notifications WHERE read_at IS NULL GROUP BY user_id"))
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("ANALYZE"))
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    else:
        db.session.execute(text("ANALYZE"))
    db.session.commit()
    print(f"  {notifications:,} notifications for {people:,} people written in {time.perf_counter() - start:.0f} s")


def run(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench notifications")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--notifications", type=int, default=10_000_000)
    args = parser.parse_args(argv or [])
    print(f"notifications: {args.people:,} people, {args.notifications:,} notifications")
    with bench_app() as app:
        with app.app_context():
            build(args.people, args.notifications, random.Random(25))
            busiest = db.session.scalar(select(NotificationCounter.user_id)
                                        .order_by(NotificationCounter.unread.desc()).limit(1))
            print(f"  the busiest person has {services.unread_count(busiest)} unread of "
                  f"{db.session.scalar(select(func.count()).where(Notification.user_id == busiest))}")
            timed("the bell's count (one counter row)", lambda: services.unread_count(busiest), repeat=2000)

            def notify():
                services.notify(busiest, "contest_started", {"title": "Весенний спринт"}, "/contests/")
                db.session.commit()

            timed("a notification written, counter kept, committed", notify, repeat=200)

            def read_all():
                services.mark_all_read(7)
                db.session.commit()

            timed("mark all read (a person with nothing left unread)", read_all, repeat=200)
            timed("first page of the person's notifications (25 rows)",
                  lambda: db.session.execute(services.notifications_of(busiest).limit(25)).all(), repeat=300)
            start = time.perf_counter()
            removed = services.prune_notifications(utcnow() + timedelta(days=2))  # two days' worth are 90 days old
            print(f"  retention, two days' notifications past 90 days: {removed:,} removed in "
                  f"{time.perf_counter() - start:.1f} s")
            assert services.counter_drift() == []
        get = page_getter(app, "p0@bench.test")
        timed("GET /notifications/ (the page and its bell)", lambda: get("/notifications/"), repeat=100)
