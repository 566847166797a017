"""Scheduled jobs under a database lock, so two workers (or a worker and cron) never run one job at once."""

import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from portal.core.time import utcnow
from portal.extensions import db
from portal.ops.models import JobRun

log = logging.getLogger("portal.jobs")

# A crashed worker's lock lapses after this long; longer than any job takes.
LOCK_FOR = timedelta(minutes=30)
SKIPPED = "skipped: running elsewhere"


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def acquire_lock(name: str, now: datetime, ttl: timedelta = LOCK_FOR) -> bool:
    """Take the job's lock row if it is free or lapsed (a conditional update, or the first insert). Commits."""
    taken = db.session.execute(
        update(JobRun).where(JobRun.name == name, or_(JobRun.locked_until.is_(None), JobRun.locked_until < now))
        .values(locked_until=now + ttl, locked_by=holder_name(), started_at=now)
    ).rowcount
    db.session.commit()
    if taken == 1:
        return True
    if db.session.get(JobRun, name) is not None:
        return False
    try:
        db.session.add(JobRun(name=name, locked_until=now + ttl, locked_by=holder_name(), started_at=now))
        db.session.commit()
    except IntegrityError:  # another process inserted it first: it holds the lock
        db.session.rollback()
        return False
    return True


def release_lock(name: str, summary: str | None, error: str | None) -> None:
    db.session.execute(update(JobRun).where(JobRun.name == name).values(
        locked_until=None, locked_by=None, finished_at=utcnow(),
        last_summary=summary[:500] if summary else None, last_error=error[:500] if error else None))
    db.session.commit()


def run_locked(name: str, job: Callable[[datetime], str], now: datetime | None = None) -> str:
    """Run `job(now)` unless another process runs the same job right now; the job commits its own work."""
    now = now or utcnow()
    if not acquire_lock(name, now):
        return SKIPPED
    try:
        summary = job(now)
    except Exception as exc:
        db.session.rollback()
        log.exception("Job %s failed", name)
        release_lock(name, None, f"{type(exc).__name__}: {exc}")
        raise
    db.session.rollback()  # nothing should be pending: a job commits its own work
    release_lock(name, summary, None)
    return summary
