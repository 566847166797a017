"""The worker's heartbeat: each worker process writes the time every minute; the app reports it."""

from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from portal.core.time import utcnow
from portal.extensions import db
from portal.ops.locks import holder_name
from portal.ops.models import WorkerHeartbeat


def record_heartbeat() -> None:
    """Commits."""
    now = utcnow()
    if not db.session.execute(update(WorkerHeartbeat).where(WorkerHeartbeat.worker == holder_name())
                              .values(beat_at=now)).rowcount:
        try:
            with db.session.begin_nested():
                db.session.add(WorkerHeartbeat(worker=holder_name(), started_at=now, beat_at=now))
        except IntegrityError:  # another thread of this worker wrote the first beat a moment ago
            pass
    # Workers gone for a day are forgotten.
    db.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.beat_at < now - timedelta(days=1)))
    db.session.commit()


def worker_status(stale_after: timedelta) -> dict:
    """{'status': 'ok'|'stale'|'missing', 'last_beat': iso or None, 'age_seconds': int or None}."""
    last = db.session.scalar(select(func.max(WorkerHeartbeat.beat_at)))
    if last is None:
        return {"status": "missing", "last_beat": None, "age_seconds": None}
    age = max(int((utcnow() - last).total_seconds()), 0)
    return {"status": "ok" if age <= stale_after.total_seconds() else "stale", "last_beat": last.isoformat(),
            "age_seconds": age}
