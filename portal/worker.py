"""The background worker: Huey tasks and schedules (run it with `flask --app wsgi portal worker`).

Storage: a SQLite file in instance/ by default (no other server), Redis when REDIS_URL is set (several app
machines share one queue). Tasks run inside the Flask app; the schedule runs every job of portal/jobs.py
under its database lock, and a heartbeat every minute that /healthz/worker reports.
"""

import functools
import logging
import os
from pathlib import Path

from flask import current_app, has_app_context
from huey import RedisHuey, SqliteHuey, crontab
from huey.storage import RedisStorage, SqliteStorage

from portal import jobs
from portal.config import INSTANCE_DIR
from portal.core import exports as core_exports
from portal.ops import exports, outbox
from portal.ops.health import record_heartbeat

log = logging.getLogger("portal.worker")


def _make_huey():
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        return RedisHuey("portal", url=redis_url, results=False)
    path = Path(os.environ.get("HUEY_SQLITE_PATH") or INSTANCE_DIR / "queue.sqlite3")
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("portal", filename=str(path), results=False)


huey = _make_huey()
_app = None


def use_queue(redis_url: str | None = None, sqlite_path: str | None = None) -> None:
    """Point the queue at another storage (tests, and the CLI when settings come from the app's config)."""
    if redis_url:
        huey.storage_class, huey.storage_kwargs = RedisStorage, {"url": redis_url}
    else:
        huey.storage_class, huey.storage_kwargs = SqliteStorage, {"filename": sqlite_path}
    huey.storage = huey.create_storage()


def bind_app(app) -> None:
    global _app
    _app = app


def init_app(app) -> None:
    """At start (create_app): tasks run outside a request use the process's first app (`portal worker` and the
    tests bind theirs), and the outbox and the exports hand their committed work to this queue."""
    if _app is None:
        bind_app(app)
    outbox.hand_mail_to_worker.connect(enqueue_mail_delivery)
    core_exports.hand_export_to_worker.connect(enqueue_export)


def _flask_app():
    if has_app_context():
        return current_app._get_current_object()
    if _app is None:
        raise RuntimeError("The worker has no app: create_app() binds it (run the worker with `portal worker`).")
    return _app


def in_app(func):
    """Run a task in a fresh app context (and so a database session of its own), with a request context on
    PORTAL_URL so that mail written by a job can link back with url_for(..., _external=True)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        app = _flask_app()
        with app.app_context(), app.test_request_context(base_url=app.config["PORTAL_URL"]):
            return func(*args, **kwargs)

    return wrapper


# --- mail ----------------------------------------------------------------------------------------


@huey.task(name="deliver-mail")
@in_app
def deliver_mail_task(ids: list[int]) -> int:
    return sum(outbox.deliver_mail(message_id) for message_id in ids)


def enqueue_mail_delivery(ids: list[int]) -> None:
    """Called right after a commit that wrote mail; if the queue is down, the minute's sweep sends it."""
    try:
        deliver_mail_task(list(ids))
    except Exception:  # noqa: BLE001 - the outbox row is committed; the periodic sweep delivers it
        log.exception("Could not hand mail %s to the worker; the next sweep will send it", ids)


# --- exports -------------------------------------------------------------------------------------


@huey.task(name="run-export")
@in_app
def run_export_task(job_id: int) -> None:
    exports.run_export(job_id)


def enqueue_export(job_id: int) -> None:
    """After the job row is committed; if the queue is down, the job stays queued and says so after a while."""
    try:
        run_export_task(job_id)
    except Exception:  # noqa: BLE001
        log.exception("Could not hand export %s to the worker", job_id)


# --- schedule ------------------------------------------------------------------------------------


@huey.periodic_task(crontab(minute="*"), name="heartbeat")
@in_app
def heartbeat() -> None:
    record_heartbeat()


@huey.on_startup()
def _beat_at_start() -> None:
    try:
        heartbeat.call_local()
    except Exception:  # noqa: BLE001 - the periodic heartbeat retries in a minute
        log.exception("First heartbeat failed")


def _schedule_jobs() -> None:
    nightly = {name for name, _job in jobs.NIGHTLY_JOBS}
    for name, _job in jobs.JOBS + jobs.NIGHTLY_JOBS:
        every = jobs.SCHEDULES.get(name, jobs.DEFAULT_EVERY_MINUTES)
        when = (crontab(minute="0", hour=str(jobs.nightly_utc_hour())) if name in nightly
                else crontab(minute=f"*/{every}"))

        def run(name=name):
            summary = jobs.run_job(name)
            if not summary.startswith("0 "):
                log.info("%s: %s", name, summary)
            return summary

        run.__name__ = f"job_{name.replace('-', '_')}"
        huey.periodic_task(when, name=f"job:{name}")(in_app(run))


_schedule_jobs()


def run_worker(workers: int = 2) -> None:
    """The consumer: tasks on `workers` threads, and the scheduler (periodic tasks) in the same process."""
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True, check_worker_health=True)
    consumer.run()
