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


PASSWORD = "bench12345"


def add_people(count: int, *, email: str, full_name: str, company_ids: int = 1) -> None:
    """`count` confirmed participants (email and name are patterns with {i}), spread over the first
    `company_ids` companies, plus manager@bench.test; one password hash for all, since hashing is slow."""
    from sqlalchemy import insert

    from portal.auth.models import MANAGER, User
    from portal.auth.passwords import hash_password
    from portal.core.time import utcnow

    now, password = utcnow(), hash_password(PASSWORD)
    db.session.execute(insert(User), [
        {"email": email.format(i=i), "password_hash": password, "session_token": f"{i:032d}",
         "full_name": full_name.format(i=i), "role": "participant", "locale": "ru", "active": True,
         "audience": "manager", "company_id": 1 + i % company_ids, "created_at": now, "email_confirmed_at": now}
        for i in range(count)
    ])
    db.session.add(User(email="manager@bench.test", password_hash=password, full_name="Менеджер", role=MANAGER,
                        email_confirmed_at=now))


def page_getter(app, email: str):
    """A function that GETs a page as the signed-in `email` and insists on a 200."""
    client = app.test_client()
    client.post("/login", data={"email": email, "password": PASSWORD})

    def get(path):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    return get
