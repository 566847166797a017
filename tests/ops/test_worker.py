"""The worker's schedule: every job of portal/jobs.py on its cadence, never twice at once, and a heartbeat."""

import threading
from datetime import datetime, timedelta

import pytest
from huey.consumer import Scheduler
from sqlalchemy import select

from portal import jobs
from portal.core.time import frozen_time, utcnow
from portal.extensions import db
from portal.ops.locks import SKIPPED, acquire_lock
from portal.ops.models import JobRun
from portal.worker import huey


@pytest.fixture
def recorded_jobs(monkeypatch):
    """Every scheduled job replaced by one that notes the clock it was run with."""
    runs: list[tuple[str, datetime]] = []

    def recorder(name):
        def job(now):
            runs.append((name, now))
            return "noted"
        return job

    monkeypatch.setattr(jobs, "JOBS", [(name, recorder(name)) for name, _job in jobs.JOBS])
    return runs


def _tick(moment: datetime, drain) -> None:
    """The consumer's own scheduler, its clock set to `moment`, enqueues what is due; then the worker runs it."""
    with frozen_time(moment):
        Scheduler(huey, threading.Event(), interval=1, periodic=True).enqueue_periodic_tasks(moment)
        drain()


def test_periodic_jobs_fire_from_the_schedule(app, queue, recorded_jobs):
    every_five = [name for name, _job in jobs.JOBS if jobs.SCHEDULES.get(name, jobs.DEFAULT_EVERY_MINUTES) == 5]
    assert {"expire-points", "birthday-bonuses", "expire-unpaid-orders"} <= set(every_five)
    _tick(datetime(2026, 3, 2, 10, 5), queue)
    assert sorted(name for name, _now in recorded_jobs) == sorted(name for name, _job in jobs.JOBS)
    assert {now for _name, now in recorded_jobs} == {datetime(2026, 3, 2, 10, 5)}
    recorded_jobs.clear()
    _tick(datetime(2026, 3, 2, 10, 6), queue)
    assert sorted(name for name, _now in recorded_jobs) == ["deliver-mail", "fraud-scoring"]  # the every-minute jobs
    with app.app_context():
        last = db.session.get(JobRun, "expire-points")
        assert (last.last_summary, last.locked_until, last.started_at) == ("noted", None, datetime(2026, 3, 2, 10, 5))


def test_a_job_started_twice_at_once_runs_once(app, monkeypatch):
    started, release = threading.Event(), threading.Event()
    runs = []

    def slow_job(now):
        runs.append(now)
        started.set()
        assert release.wait(10)
        return "done"

    monkeypatch.setattr(jobs, "JOBS", [("slow", slow_job)])
    results = {}

    def run(key):
        with app.app_context():
            results[key] = jobs.run_job("slow")

    first = threading.Thread(target=run, args=("first",))
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=run, args=("second",))
    second.start()
    second.join(10)
    release.set()
    first.join(10)
    assert results == {"first": "done", "second": SKIPPED}
    assert len(runs) == 1
    with app.app_context():  # free again afterwards
        assert jobs.run_job("slow") == "done"


def test_a_lapsed_lock_is_taken_over(db):
    now = datetime(2026, 3, 2, 10, 0)
    assert acquire_lock("crashy", now)
    assert not acquire_lock("crashy", now + timedelta(minutes=29))
    assert acquire_lock("crashy", now + timedelta(minutes=31))  # its worker died holding it
    assert db.session.scalar(select(JobRun.locked_until).where(JobRun.name == "crashy")) > now


def test_run_jobs_command_still_runs_every_job(app, recorded_jobs):
    result = app.test_cli_runner().invoke(args=["portal", "run-jobs"])
    assert result.exit_code == 0, result.output
    assert sorted(name for name, _now in recorded_jobs) == sorted(name for name, _job in jobs.JOBS)
    assert "expire-points: noted" in result.output


def test_worker_health_follows_the_heartbeat(app, client, queue):
    assert client.get("/healthz/worker").status_code == 503  # no worker yet
    moment = utcnow().replace(second=0, microsecond=0)
    _tick(moment, queue)  # the heartbeat is a periodic task too
    with frozen_time(moment + timedelta(minutes=1)):
        answer = client.get("/healthz/worker")
        assert answer.status_code == 200 and answer.json["status"] == "ok"
    with frozen_time(moment + timedelta(minutes=10)):
        answer = client.get("/healthz/worker")
        assert answer.status_code == 503 and answer.json["status"] == "stale"


def test_mail_written_by_a_scheduled_job_links_to_the_portal(app, queue, make, mailbox, monkeypatch):
    from flask import url_for

    from portal.core.mail import send_email

    make.user(email="anna@example.test")
    monkeypatch.setitem(app.config, "PORTAL_URL", "https://portal.example.test")

    def reminder(now):
        send_email("anna@example.test", "auth/email/reset_subject.txt", "auth/email/reset_body.txt", user=None,
                   link=url_for("home.dashboard", _external=True))
        db.session.commit()
        return "1 reminder"

    monkeypatch.setattr(jobs, "JOBS", [("reminders", reminder)])
    from portal.worker import in_app

    in_app(lambda: jobs.run_job("reminders"))()  # how the worker runs a scheduled job
    queue()
    assert "https://portal.example.test/home" in mailbox.body(mailbox.last_to("anna@example.test"))
