"""With Redis configured (the PostgreSQL run; TEST_REDIS=1 on SQLite), the queue and the rate limits live there."""

import pytest
import redis
from huey.storage import RedisStorage

from portal.worker import huey

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def redis_client(redis_url):
    if not redis_url:
        pytest.skip("no Redis in this run (TEST_DATABASE=postgresql or TEST_REDIS=1 starts one)")
    with redis.Redis.from_url(redis_url) as client:
        yield client


def test_the_queue_is_on_redis(redis_client, queue, db, make):
    assert isinstance(huey.storage, RedisStorage)
    from portal.core.mail import send_email

    make.user(email="anna@example.test")
    send_email("anna@example.test", "auth/email/reset_subject.txt", "auth/email/reset_body.txt", user=None,
               link="http://localhost/x")
    db.session.commit()
    assert huey.pending_count() == 1
    assert any(b"portal" in key for key in redis_client.keys())
    assert queue() == 1


def test_login_limits_count_in_redis(redis_client, make_app, make):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS="3 per minute")
    assert app.config["RATELIMIT_STORAGE_URI"].startswith("redis://")
    make.user(email="target@example.test")
    client = app.test_client()
    codes = [client.post("/login", data={"email": "target@example.test", "password": "wrong"}).status_code
             for _ in range(4)]
    assert codes[-1] == 429
    assert any(b"LIMITS" in key or b"limit" in key.lower() for key in redis_client.keys())
    # a second app process (another gunicorn worker) sees the same counters
    other = make_app(RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS="3 per minute").test_client()
    assert other.post("/login", data={"email": "target@example.test", "password": "wrong"}).status_code == 429
