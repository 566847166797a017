"""A throwaway database with the schema from the migrations, a synthetic program in it, and a timer."""

import os
import statistics
import tempfile
import time
from contextlib import contextmanager

import flask_migrate

from portal import create_app
from portal.extensions import db


@contextmanager
def bench_app():
    """An app on DATABASE_URL when given, else on a fresh SQLite file that is removed afterwards."""
    directory = tempfile.mkdtemp(prefix="portal-bench-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{directory}/bench.sqlite3"
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
        "SECRET_KEY": "bench", "TESTING": True,
    })
    with app.app_context():
        flask_migrate.upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def timed(label: str, fn, repeat: int = 30) -> None:
    fn()  # warm up caches and compiled statements
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    print(f"  {label:<58} median {statistics.median(samples):7.1f} ms   p95 {p95:7.1f} ms")
