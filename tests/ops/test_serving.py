"""`make run`'s way of serving, end to end: gunicorn and the worker on a scratch database, as subprocesses."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.databases import _free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture
def scratch_env(tmp_path, redis_url):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
           "HUEY_SQLITE_PATH": str(tmp_path / "queue.sqlite3"), "UPLOAD_DIR": str(tmp_path / "uploads"),
           "SECRET_KEY": "serving-test", "PORTAL_ENV": "development"}  # the demo's Stripe emulator secrets
    env.pop("REDIS_URL", None)
    if redis_url:  # the PostgreSQL run: queue and rate limits on Redis, as on several machines
        env["REDIS_URL"] = redis_url
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    return env


def test_gunicorn_and_the_worker_serve_and_report_health(scratch_env, tmp_path):
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    web = subprocess.Popen([str(BIN / "gunicorn"), "--no-control-socket", "--bind", f"127.0.0.1:{port}",
                            "--workers", "2", "--worker-class", "gthread", "--threads", "2", "wsgi:app"],
                           cwd=ROOT, env=scratch_env, stdout=log, stderr=subprocess.STDOUT)
    worker = subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", "portal", "worker"], cwd=ROOT, env=scratch_env,
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        app_state = worker_state = (None, {})
        while time.monotonic() < deadline:
            try:
                app_state, worker_state = _get(f"{base}/healthz"), _get(f"{base}/healthz/worker")
            except OSError:
                pass
            if app_state[0] == 200 and worker_state[0] == 200:
                break
            time.sleep(0.5)
        assert app_state == (200, {"status": "ok", "database": "ok"}), (tmp_path / "serve.log").read_text()
        assert worker_state[0] == 200 and worker_state[1]["status"] == "ok", (tmp_path / "serve.log").read_text()
        with urllib.request.urlopen(f"{base}/", timeout=5) as response:
            assert response.status == 200 and "gunicorn" in response.headers.get("Server", "")
    finally:
        for process in (web, worker):
            process.send_signal(signal.SIGTERM)
        for process in (web, worker):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()
    assert worker.returncode is not None and web.returncode is not None
