"""Notifications: written in the event's transaction, counted unread by a maintained counter, kept 90 days."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from portal.auth.models import MANAGER
from portal.claims import notifications as claim_mail
from portal.claims import services as claims
from portal.contests import services as contests
from portal.contests.jobs import run_clock
from portal.contests.models import UNITS
from portal.core.time import frozen_time, utcnow
from portal.extensions import db
from portal.ledger import services as ledger
from portal.notifications import services
from portal.notifications.checks import unread_counter_drift
from portal.notifications.models import Notification, NotificationCounter
from portal.notifications.reminders import notify_expiring_points
from portal.ops.models import OutboxMessage
from portal.program.services import get_settings
from tests.claims import factories as cf
from tests.contests import helpers as h


@pytest.fixture
def seller(make):
    return make.user(email="seller@example.test", locale="en")


@pytest.fixture
def manager(make):
    return make.user(role=MANAGER)


@pytest.fixture
def catalogue(db):
    h.catalogue()
    cf.per_unit_rule(100)
    get_settings().first_sale_bonus = 0


def kinds_of(user_id: int) -> list[str]:
    return list(db.session.scalars(select(Notification.kind).where(Notification.user_id == user_id)
                                   .order_by(Notification.id)))


def test_notify_counts_unread_and_reading_takes_them_off(db, seller, make):
    other = make.user()
    first = services.notify(seller, "contest_started", {"title": "A"}, "/contests/1")
    services.notify(seller.id, "contest_started", {"title": "B"})
    services.notify(other, "contest_started", {"title": "C"})
    assert services.unread_count(seller.id) == 2
    assert services.mark_read(other.id, first.id) is False  # someone else's: nothing changes
    assert services.mark_read(seller.id, first.id) is True
    assert services.mark_read(seller.id, first.id) is False  # read already: the counter is not taken twice
    assert services.unread_count(seller.id) == 1
    assert services.mark_all_read(seller.id) == 1
    assert (services.unread_count(seller.id), services.unread_count(other.id)) == (0, 1)
    assert services.counter_drift() == []


def test_unknown_kind_is_refused(db, seller):
    with pytest.raises(ValueError):
        services.notify(seller, "no_such_kind")


def test_a_rolled_back_decision_notifies_nobody(db, seller, manager, catalogue):
    claim = cf.submitted(seller)
    db.session.commit()
    claims.approve_claim(claim, manager)
    claim_mail.send_decision(claim)
    assert "claim_approved" in kinds_of(seller.id)
    db.session.rollback()
    assert kinds_of(seller.id) == []
    assert services.unread_count(seller.id) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_claim_decisions_and_points_are_notified(db, seller, manager, catalogue, mailbox):
    approved = cf.submitted(seller, number="СЧ-1")
    rejected = cf.submitted(seller, number="СЧ-2")
    claims.approve_claim(approved, manager)
    claim_mail.send_decision(approved)
    claims.reject_claim(rejected, manager, "Нет скана")
    claim_mail.send_decision(rejected)
    db.session.commit()
    kinds = kinds_of(seller.id)
    assert kinds.count("points_credited") == 1 and "claim_approved" in kinds and "claim_rejected" in kinds
    credited = db.session.scalar(select(Notification).where(Notification.kind == "points_credited"))
    assert credited.params == {"points": 200} and credited.link == "/points"
    assert services.unread_count(seller.id) == len(kinds)
    assert len(mailbox.to(seller.email)) == 2  # the decisions' mails went as before


def test_expiring_and_expired_points_are_notified_once(db, seller):
    now = utcnow()
    ledger.earn(seller.id, 300, key="t:1", source_type="welcome", source_id=seller.id,
                expires_at=now + timedelta(days=20))
    db.session.commit()
    assert kinds_of(seller.id) == ["points_credited"]
    assert notify_expiring_points(now) == 1
    assert notify_expiring_points(now + timedelta(days=1)) == 0  # told once
    expiring = db.session.scalar(select(Notification).where(Notification.kind == "points_expiring"))
    assert expiring.params["points"] == 300
    ledger.expire_due_points(now + timedelta(days=21))
    expired = db.session.scalar(select(Notification).where(Notification.kind == "points_expired"))
    assert expired.params == {"points": 300}
    assert services.unread_count(seller.id) == 3


def test_contest_start_freeze_and_results_tell_each_person_their_place(app, make, mailbox):
    with app.test_request_context():
        boss = make.user(role="manager")
        anna = make.user(email="anna@example.test", locale="en")
        boris = make.user(email="boris@example.test")
        h.catalogue()
        now = utcnow()
        c = h.contest(boss, metric=UNITS, starts_at=now + timedelta(hours=1), ends_at=now + timedelta(days=2),
                      freeze_at=now + timedelta(days=1))
        db.session.commit()
        run_clock(now + timedelta(hours=2))
        assert kinds_of(anna.id) == ["contest_started"] and kinds_of(boris.id) == ["contest_started"]
        with frozen_time(now + timedelta(hours=2)):
            h.sale(anna, boss, quantity=3, days_ago=0)
            h.sale(boris, boss, quantity=1, days_ago=0)
        db.session.commit()
        run_clock(now + timedelta(days=1, hours=1))
        frozen = db.session.scalar(select(Notification).where(Notification.user_id == boris.id,
                                                               Notification.kind == "contest_frozen"))
        assert frozen.params["place"] == 2 and frozen.params["title"] == "Весенний спринт"
        run_clock(now + timedelta(days=3))
        contests.finalise_contest(db.session.get(type(c), c.id), boss)
        db.session.commit()
        run_clock(now + timedelta(days=3))
        final = {n.user_id: n.params["place"] for n in db.session.scalars(
            select(Notification).where(Notification.kind == "contest_finalised"))}
        assert final == {anna.id: 1, boris.id: 2}
        assert services.counter_drift() == []


def test_retention_forgets_after_90_days_and_keeps_the_counter(db, seller):
    now = utcnow()
    with frozen_time(now - timedelta(days=91)):
        old_unread = services.notify(seller, "contest_started", {"title": "old"})
        old_read = services.notify(seller, "contest_started", {"title": "old, read"})
        services.mark_read(seller.id, old_read.id)
    services.notify(seller, "contest_started", {"title": "new"})
    old_id = old_unread.id
    db.session.commit()
    assert services.unread_count(seller.id) == 2
    assert services.prune_notifications(now, batch=1) == 2
    assert db.session.scalar(select(Notification.id).where(Notification.id == old_id)) is None
    assert services.unread_count(seller.id) == 1
    assert services.counter_drift() == []


def test_counter_drift_is_found(db, seller):
    services.notify(seller, "contest_started", {"title": "A"})
    db.session.execute(NotificationCounter.__table__.update().values(unread=5))
    assert services.counter_drift() == [(seller.id, 5, 1)]
    [finding] = unread_counter_drift()
    assert str(finding) == (f"Участник №{seller.id}: колокольчик показывает 5 непрочитанных уведомлений, "
                            "а непрочитанных 1.")


def test_the_bell_reads_the_counter_by_its_primary_key(db, seller, make):
    for n in range(30):
        person = make.user()
        for _ in range(3):
            services.notify(person, "contest_started", {"title": str(n)})
    services.notify(seller, "contest_started", {"title": "mine"})
    statement = select(NotificationCounter.unread).where(NotificationCounter.user_id == seller.id)
    compiled = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "sqlite":
        plan = " ".join(str(row[-1]) for row in db.session.execute(text("EXPLAIN QUERY PLAN " + compiled)))
        assert "USING INTEGER PRIMARY KEY" in plan or "USING PRIMARY KEY" in plan, plan
    else:
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = " ".join(row[0] for row in db.session.execute(text("EXPLAIN " + compiled)))
        assert "pk_notification_counters" in plan, plan
    assert services.unread_count(seller.id) == 1
