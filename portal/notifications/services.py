"""Writing and reading notifications. Each is written in the transaction of the event it tells about (a
rolled-back decision notifies nobody), and the person's unread counter moves in the same transaction."""

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from portal.core.freshness import touch
from portal.core.sql import insert_or_add
from portal.core.time import utcnow
from portal.extensions import db

from .kinds import KINDS
from .models import Notification, NotificationCounter

KEEP_FOR = timedelta(days=90)


def notify(user, kind: str, params: dict | None = None, link: str | None = None) -> Notification:
    """Add a notification for `user` (a User or its id) and count it unread. Flushes, never commits."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    user_id = user if isinstance(user, int) else user.id
    notification = Notification(user_id=user_id, kind=kind, params=params or {}, link=link, created_at=utcnow())
    db.session.add(notification)
    db.session.flush()
    insert_or_add(NotificationCounter, {"user_id": user_id, "unread": 1}, ["user_id"], "unread")
    return notification


def unread_count(user_id: int) -> int:
    """The bell: one primary-key read of the counter."""
    return db.session.scalar(select(NotificationCounter.unread).where(NotificationCounter.user_id == user_id)) or 0


def notifications_of(user_id: int):
    """A person's notifications, newest first (a select for the page)."""
    return select(Notification).where(Notification.user_id == user_id).order_by(Notification.id.desc())


def _take_from_counter(user_id: int, count: int) -> None:
    """Also marks the person's cached pages stale (their notifications changed by a plain statement)."""
    if count:
        touch(db.session, user_id)
        db.session.execute(update(NotificationCounter).where(NotificationCounter.user_id == user_id)
                           .values(unread=NotificationCounter.unread - count))


def mark_read(user_id: int, notification_id: int) -> bool:
    """Mark one of the person's notifications read; another person's, or one read already, changes nothing."""
    changed = db.session.execute(
        update(Notification).where(Notification.id == notification_id, Notification.user_id == user_id,
                                   Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    _take_from_counter(user_id, changed)
    db.session.flush()
    return changed == 1


def mark_all_read(user_id: int) -> int:
    """Mark every unread notification of the person read; returns how many."""
    changed = db.session.execute(
        update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    _take_from_counter(user_id, changed)
    db.session.flush()
    return changed


def prune_notifications(now: datetime, batch: int = 5000) -> int:
    """Forget notifications older than 90 days, batch by batch; the unread ones removed are taken from their
    people's counters by the same statement's answer (DELETE ... RETURNING), so a notification read meanwhile is
    never taken twice. Commits each batch."""
    cutoff, removed = now - KEEP_FOR, 0
    while True:
        ids = db.session.scalars(select(Notification.id).where(Notification.created_at < cutoff)
                                 .order_by(Notification.id).limit(batch)).all()
        if not ids:
            return removed
        gone = db.session.execute(delete(Notification).where(Notification.id.in_(ids))
                                  .returning(Notification.user_id, Notification.read_at)
                                  .execution_options(synchronize_session=False)).all()
        unread = Counter(user_id for user_id, read_at in gone if read_at is None)
        touch(db.session, *{user_id for user_id, _read_at in gone})  # their cached lists showed these
        for user_id in sorted(unread):
            _take_from_counter(user_id, unread[user_id])
        db.session.commit()
        removed += len(gone)


def counter_drift(limit: int = 50) -> list[tuple[int, int, int]]:
    """(user id, counter, unread notifications) for every person whose counter is not what the notifications
    say: the rebuild from the source rows `portal check` compares with."""
    actual = (select(Notification.user_id, func.count().label("n")).where(Notification.read_at.is_(None))
              .group_by(Notification.user_id).subquery())
    kept = select(NotificationCounter.user_id, NotificationCounter.unread).subquery()
    rows = db.session.execute(
        select(kept.c.user_id, kept.c.unread, func.coalesce(actual.c.n, 0))
        .select_from(kept.outerjoin(actual, actual.c.user_id == kept.c.user_id))
        .where(kept.c.unread != func.coalesce(actual.c.n, 0)).limit(limit)).all()
    missing = db.session.execute(
        select(actual.c.user_id, actual.c.n).select_from(actual.outerjoin(kept, kept.c.user_id == actual.c.user_id))
        .where(kept.c.user_id.is_(None)).limit(limit)).all()
    return [(u, c, n) for u, c, n in rows] + [(u, 0, n) for u, n in missing]
