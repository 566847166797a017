"""Fixtures shared by the whole suite: one migrated database per run, cleaned after every test.

TEST_DATABASE=postgresql runs everything on a PostgreSQL server the suite starts itself
(or on TEST_DATABASE_URL when given); otherwise on a SQLite file. That run also puts the worker's queue and
the rate limits on a Redis server the suite starts (TEST_REDIS=1 does so on SQLite too).

Mail: the worker's queue runs in immediate mode, so mail a request commits is delivered over SMTP to the
`mailbox` right after the commit, through the same outbox code the worker runs. Tests of the worker itself
use the `queue` fixture: a real queue (SQLite file or Redis) they drain by hand.
"""

import os
import shutil
import tempfile
from urllib.parse import urlsplit

# The worker's queue file, before anything imports portal.worker (the suite never writes to instance/).
# One per pytest-xdist worker: the workers inherit the controller's environment, and a shared queue file would let
# one worker's test drain another's tasks.
os.environ["HUEY_SQLITE_PATH"] = os.path.join(
    tempfile.mkdtemp(prefix=f"portal-queue-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-"), "queue.sqlite3")
os.environ.pop("REDIS_URL", None)

import flask_migrate
import pytest
from sqlalchemy import text

from portal import create_app
from portal.extensions import db as _db
from tests import factories
from tests.databases import postgres_cluster, redis_server
from tests.mailbox import Mailbox

ON_POSTGRES = os.environ.get("TEST_DATABASE") == "postgresql"
ON_REDIS = ON_POSTGRES or os.environ.get("TEST_REDIS") == "1"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal.sqlite3'}"
    elif os.environ.get("TEST_DATABASE_URL"):
        yield os.environ["TEST_DATABASE_URL"]
    else:
        with postgres_cluster() as url:
            yield url


@pytest.fixture(scope="session")
def redis_url():
    """A throwaway Redis server for the run (PostgreSQL runs and TEST_REDIS=1), or None."""
    if not ON_REDIS:
        yield None
    elif os.environ.get("TEST_REDIS_URL"):
        yield os.environ["TEST_REDIS_URL"]
    else:
        with redis_server() as url:
            yield url


@pytest.fixture(scope="session")
def mailbox():
    box = Mailbox()
    box.start()
    yield box
    box.stop()


def make_config(database_url: str, mailbox: Mailbox, redis_url: str | None = None, **overrides) -> dict:
    return {
        "TESTING": True,
        "PORTAL_ENV": "development",  # an app made with TESTING off (to see a real 500 page) may still start
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 20, "max_overflow": 40} if ON_POSTGRES else {},
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": mailbox.port,
        "MAIL_TIMEOUT": 5,
        "REDIS_URL": redis_url or "",
        "RATELIMIT_STORAGE_URI": redis_url or "database://",
        **overrides,
    }


@pytest.fixture(scope="session")
def app(database_url, mailbox, redis_url):
    from portal.worker import bind_app, huey, use_queue

    use_queue(redis_url=redis_url, sqlite_path=os.environ["HUEY_SQLITE_PATH"])
    huey.immediate = True
    app = create_app(make_config(database_url, mailbox, redis_url))
    bind_app(app)  # tasks run outside a request use the test app
    with app.app_context():
        # The schema comes from the migrations, so a model change without a migration fails here.
        flask_migrate.upgrade()
        _db.session.remove()
        if not ON_POSTGRES:
            _db.engine.dispose()
            path = urlsplit(database_url).path
            shutil.copyfile(path, path + ".template")
    yield app


@pytest.fixture(scope="session")
def stripe_emulator():
    """The local Stripe emulator (localstripe) on a free loopback port, for the whole run."""
    import subprocess
    import sys
    import time
    import urllib.request

    from tests.databases import _free_port

    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "portal.payments.emulator", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base}/js.stripe.com/v3/", timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError("the Stripe emulator did not start")
    yield base
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def stripe(app, stripe_emulator):
    """Point the app at the emulator, with an empty emulator state for the test."""
    import urllib.request

    reset = urllib.request.Request(f"{stripe_emulator}/_config/data", method="DELETE")
    urllib.request.urlopen(reset, timeout=5).close()
    saved = {k: app.config[k] for k in ("STRIPE_API_BASE", "STRIPE_JS_URL")}
    app.config.update(STRIPE_API_BASE=stripe_emulator, STRIPE_JS_URL=f"{stripe_emulator}/js.stripe.com/v3/")
    yield stripe_emulator
    app.config.update(saved)


@pytest.fixture
def make_app(database_url, mailbox, redis_url):
    """Another app on the same database with other settings; its connections are closed afterwards."""
    apps = []

    def factory(**overrides):
        app = create_app(make_config(database_url, mailbox, redis_url, **overrides))
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()


def _reset_database(app):
    from portal.home.cache import forget_everything

    forget_everything()  # versions begin again in the empty database: cached cards must not outlive it
    with app.app_context():
        _db.session.remove()
        if ON_POSTGRES:
            # TRUNCATE fires no row triggers, so the ledger's append-only triggers stay on for the tests.
            tables = [name for name in _db.metadata.tables if name != "program_settings"]
            with _db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
                conn.execute(text(
                    "UPDATE program_settings SET point_value_kopecks = 100, points_expire_months = 12, "
                    "claim_window_days = 60, first_sale_bonus = 500, birthday_bonus = 300, "
                    "tax_threshold_kopecks = 400000, tax_rate_percent = 13, tax_details_required = true, "
                    "copay_enabled = true, copay_max_share_percent = 50, payment_timeout_minutes = 30"
                ))
        else:
            _db.engine.dispose()
            path = urlsplit(app.config["SQLALCHEMY_DATABASE_URI"]).path
            for suffix in ("-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)
            shutil.copyfile(path + ".template", path)


@pytest.fixture(autouse=True)
def _clean_state(request, mailbox):
    """Every test that touches the database starts from the migrated, empty schema and an empty mailbox."""
    yield
    if "app" in request.fixturenames:
        _reset_database(request.getfixturevalue("app"))
        if ON_REDIS:  # rate-limit counters and queued tasks start empty too
            import redis

            with redis.Redis.from_url(request.getfixturevalue("redis_url")) as client:
                client.flushdb()
    mailbox.clear()


@pytest.fixture
def queue(app):
    """The worker's real queue (Redis on the PostgreSQL run, else a SQLite file) instead of immediate mode.

    Tasks wait in it until the test calls the returned `drain()`, which runs them as the worker would.
    """
    from portal.worker import huey

    huey.immediate = False
    huey.flush()

    def drain() -> int:
        ran = 0
        while (task := huey.dequeue()) is not None:
            huey.execute(task)
            ran += 1
        return ran

    yield drain
    huey.flush()
    huey.immediate = True


@pytest.fixture
def ctx(app):
    """An app and request context for service tests."""
    with app.test_request_context():
        yield
        _db.session.rollback()


@pytest.fixture
def db(ctx):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login(client):
    def do_login(email: str, password: str = factories.PASSWORD):
        client.post("/logout")
        response = client.post("/login", data={"email": email, "password": password})
        assert response.status_code == 302, f"login failed for {email}"
        return client

    return do_login


@pytest.fixture
def make(app):
    """Factories: make.company(), make.user(...). In service tests they share the test's session."""
    factories.bind(app)
    return factories
