"""The database:// rate-limit storage: atomic counters with a fixed window, shared by every process (issue #24)."""

import os
import subprocess
import sys
import threading
from pathlib import Path

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from portal.extensions import db
from portal.ops import ratelimits
from portal.ops.ratelimits import DatabaseStorage

ROOT = Path(__file__).resolve().parents[2]


def test_without_redis_the_limits_live_in_the_database_by_default():
    env = {key: value for key, value in os.environ.items() if key not in ("RATELIMIT_STORAGE_URI", "REDIS_URL")}
    code = "from portal.config import Config; print(Config.RATELIMIT_STORAGE_URI)"
    shown = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    assert shown.stdout.strip() == "database://"


def test_counts_hits_within_a_window_and_starts_again_after_it(app, monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr(ratelimits.time, "time", lambda: clock[0])
    storage = storage_from_string("database://")
    assert isinstance(storage, DatabaseStorage)
    limiter = FixedWindowRateLimiter(storage)
    rate = parse("3 per minute")
    with app.app_context():
        assert [limiter.hit(rate, "k") for _ in range(4)] == [True, True, True, False]
        assert not limiter.test(rate, "k")
        assert limiter.get_window_stats(rate, "k") == (1_000_060.0, 0)
        assert limiter.test(rate, "other")  # another key has its own count
        clock[0] += 61  # the window has ended: the next hit starts a new one
        assert limiter.test(rate, "k")
        assert limiter.hit(rate, "k")
        assert storage.get(rate.key_for("k")) == 1
        assert storage.get_expiry(rate.key_for("k")) == clock[0] + 60
        storage.clear(rate.key_for("k"))
        assert storage.get(rate.key_for("k")) == 0
        assert storage.check()


def test_expired_counters_are_deleted(app, monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr(ratelimits.time, "time", lambda: clock[0])
    storage = DatabaseStorage()
    with app.app_context():
        storage.incr("old", 10)
        clock[0] += ratelimits.PURGE_EVERY_SECONDS + 1
        storage.incr("new", 10)
        keys = db.session.scalars(db.select(ratelimits.RateLimitCounter.key)).all()
        assert keys == ["new"]


def test_concurrent_hits_are_all_counted(app):
    storage = DatabaseStorage()
    errors = []

    def hit_many():
        try:
            with app.app_context():
                for _ in range(20):
                    storage.incr("shared", 600)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=hit_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        assert storage.get("shared") == 80
        assert storage.reset() == 1
