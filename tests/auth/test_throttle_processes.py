"""Sign-in throttling holds across gunicorn processes (issue #24).

`make run` serves with several gunicorn processes; counters kept in each process's memory let an address make
about WEB_WORKERS times the failed sign-ins the limits allow. Here gunicorn runs with two sync worker processes
on the test database (the SQLite file, or PostgreSQL on that run) with no Redis, as on one machine, and the
failed sign-ins are split between the two processes on purpose: a request that never ends keeps one process
busy, so the next requests go to the other one.
"""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.databases import _free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


class Browser:
    """One client address (any 127.x.y.z works on Linux loopback) with its session cookie and CSRF token."""

    def __init__(self, port: int, address: str):
        self.port, self.address, self.cookie, self.token = port, address, "", ""

    def request(self, method: str, path: str, body: str = "") -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(self.address, 0))
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        if cookie := response.getheader("Set-Cookie"):
            self.cookie = cookie.split(";", 1)[0]
        connection.close()
        time.sleep(0.1)  # the sync worker is back waiting for connections before the next one arrives
        return response.status, text

    def sign_in(self, email: str, password: str) -> int:
        if not self.token:
            _status, page = self.request("GET", "/login")
            self.token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        from urllib.parse import urlencode

        return self.request("POST", "/login", urlencode({"csrf_token": self.token, "email": email,
                                                         "password": password}))[0]


class BusyProcess:
    """Keeps one idle gunicorn sync worker reading a request that never ends."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.sendall(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(0.5)  # a worker has accepted it and waits for the rest

    def release(self):
        self.sock.close()
        time.sleep(0.5)


@pytest.fixture
def gunicorn(app, database_url, tmp_path):
    """gunicorn with two worker processes on the test database, rate limits on and no Redis."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url, "SECRET_KEY": "throttle-test",
           "PORTAL_ENV": "development", "RATELIMIT_ENABLED": "1", "UPLOAD_DIR": str(tmp_path / "uploads"),
           "LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS": "5 per 10 minutes", "LOGIN_LIMIT_PER_ADDRESS": "8 per 10 minutes"}
    for name in ("REDIS_URL", "RATELIMIT_STORAGE_URI"):
        env.pop(name, None)  # the default of one machine without Redis
    log_path = tmp_path / "gunicorn.log"
    log = log_path.open("w")
    web = subprocess.Popen([str(BIN / "gunicorn"), "--no-control-socket", "--bind", f"127.0.0.1:{port}",
                            "--workers", "2", "--worker-class", "sync", "--timeout", "120", "wsgi:app"],
                           cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if Browser(port, "127.0.0.1").request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.5)
        # both workers have started (each logs "Booting worker") before the test splits its requests
        while log_path.read_text().count("Booting worker") < 2:
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        time.sleep(1)
        yield port
    finally:
        web.send_signal(signal.SIGTERM)
        try:
            web.wait(timeout=20)
        except subprocess.TimeoutExpired:
            web.kill()
        log.close()


def _split(port: int, first, second):
    """Run `first` on one worker process and `second` on the other."""
    busy = BusyProcess(port)
    first()
    other_busy = BusyProcess(port)  # the only idle worker is the one that served `first`
    busy.release()
    try:
        second()
    finally:
        other_busy.release()


def test_the_per_account_limit_counts_failures_in_every_process(gunicorn, make):
    make.user(email="target@example.test")
    attacker = Browser(gunicorn, "127.0.0.2")
    statuses = []

    def fail(times):
        return lambda: statuses.extend(attacker.sign_in("target@example.test", "wrong1234") for _ in range(times))

    _split(gunicorn, fail(3), fail(2))
    assert statuses == [200] * 5
    # the sixth attempt, even with the right password, waits: 3 + 2 failures are 5, whichever process counts
    busy = BusyProcess(gunicorn)
    try:
        assert attacker.sign_in("target@example.test", "secret123") == 429
    finally:
        busy.release()
    assert attacker.sign_in("target@example.test", "secret123") == 429
    # the owner from another address is not held back
    assert Browser(gunicorn, "127.0.0.3").sign_in("target@example.test", "secret123") == 302


def test_the_per_address_cap_counts_failures_in_every_process(gunicorn, make):
    make.user(email="real@example.test")
    sprayer = Browser(gunicorn, "127.0.0.4")
    statuses = []

    def spray(start):
        return lambda: statuses.extend(sprayer.sign_in(f"nobody{n}@example.test", "wrong1234")
                                       for n in range(start, start + 4))

    _split(gunicorn, spray(0), spray(4))
    assert statuses == [200] * 8
    assert sprayer.sign_in("real@example.test", "secret123") == 429  # 4 + 4 failures reach the cap of 8
    assert Browser(gunicorn, "127.0.0.5").sign_in("real@example.test", "secret123") == 302
