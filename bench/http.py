"""Pages under gunicorn against a hello-world Flask app: `python -m bench http [--seconds 10] [--connections 16]`.

Both apps run under identical settings (2 workers, gthread, 4 threads) on the demo program, loaded into a
throwaway SQLite file, or into DATABASE_URL when set (an empty PostgreSQL database). Each endpoint is driven
right after the hello-world app (alternately, so both see the same neighbours' load) by wrk when installed
(apt-get install wrk), else by a small threaded Python client (which shares the cores with the servers: its
numbers are lower and only compare with each other). Prints req/s, p50, p99 and the ratio to hello-world.
Signed-in pages reuse the session cookie of one login per role: the participant's home, statement, claims, shop,
leads, a contest (the first on their list) and notifications; the manager's dashboard (/home), /kpi, the review
queue and the people list. (There is no separate notifications-count endpoint yet: the bell's count is part of
every page.) With wrk, claim submission and order placement
follow (bench/http_writes.py).
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = [
    ("participant", "/home"), ("participant", "/points"), ("participant", "/claims"), ("participant", "/shop"),
    ("participant", "/leads"), ("participant", "/contests/{contest}"), ("participant", "/notifications/"),
    ("manager", "/home"), ("manager", "/kpi"), ("manager", "/console/claims"), ("manager", "/console/people"),
]
LOGINS = {"participant": "seller@demo.test", "manager": "manager@demo.test"}
WRK_THREADS = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(target: str, port: int, env: dict) -> subprocess.Popen:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(
        [str(gunicorn), "--no-control-socket", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--worker-class", "gthread", "--threads", "4", "--log-level", "warning", target],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{target} did not start")


def csrf_token(port: int, path: str, cookie: str) -> str:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Cookie": cookie})
    page = urllib.request.urlopen(request, timeout=60).read().decode()
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def login(port: int, email: str) -> str:
    """Sign in through the login form (with its CSRF token); the Cookie header to send."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"http://127.0.0.1:{port}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"email": email, "password": "demo12345"} | ({"csrf_token": token.group(1)} if token else {})
    opener.open(f"http://127.0.0.1:{port}/login", urllib.parse.urlencode(data).encode()).close()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def resolve(port: int, path: str, cookie: str) -> str:
    """A page's path with its placeholder filled: {contest} is the first contest the participant's list links to."""
    if "{contest}" not in path:
        return path
    request = urllib.request.Request(f"http://127.0.0.1:{port}/contests", headers={"Cookie": cookie})
    page = urllib.request.urlopen(request, timeout=60).read().decode()
    return path.format(contest=re.search(r'href="/contests/(\d+)"', page).group(1))


def drive_wrk(url: str, cookie: str, seconds: int, connections: int,
              script: list[str] | None = None) -> tuple[float, float, float]:
    """wrk's req/s, p50 and p99 (ms). `script`: a Lua script and its arguments, for the POSTs."""
    # wrk gives up on a request after 2 s by default and leaves it out of the latencies: 10 s keeps the slow ones in.
    args = ["wrk", "-t", str(WRK_THREADS), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
            "--latency", url]
    if cookie:
        args[1:1] = ["-H", f"Cookie: {cookie}"]
    if script:
        args[1:1] = ["-s", script[0]]
        args += ["--", *script[1:]]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout

    def latency(label):
        value, unit = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    errors = re.search(r"Socket errors: .*timeout (\d+)", out)
    if errors and int(errors.group(1)):
        print(f"    ({errors.group(1)} requests timed out at {url})")
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        print(f"    ({non2xx.group(1)} responses were not 2xx/3xx at {url})")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), latency("50"), latency("99")


def drive_python(url: str, cookie: str, seconds: int, connections: int) -> tuple[float, float, float]:
    samples, stop = [], time.perf_counter() + seconds

    def client():
        request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
        while time.perf_counter() < stop:
            start = time.perf_counter()
            urllib.request.urlopen(request, timeout=30).read()
            samples.append((time.perf_counter() - start) * 1000)

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    samples.sort()
    return len(samples) / seconds, statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def demo_database(directory: str, url: str | None = None) -> str:
    """The demo program in a throwaway SQLite file, or in `url` (an empty PostgreSQL database: DATABASE_URL)."""
    from bench.scale import make_app

    url = url or f"sqlite:///{directory}/demo.sqlite3"
    app = make_app(url)
    with app.app_context():
        import flask_migrate

        from portal.demo import load_demo

        flask_migrate.upgrade()
        load_demo()
    return url


def run(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench http", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("-k", default="", help="only the endpoints whose line holds this text (e.g. POST)")
    args = parser.parse_args(sys.argv[2:] if argv is None else argv)
    directory = tempfile.mkdtemp(prefix="portal-bench-http-")
    url = demo_database(directory, os.environ.get("DATABASE_URL"))
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench-http",
               UPLOAD_DIR=f"{directory}/uploads", PYTHONPATH=str(ROOT), HUEY_SQLITE_PATH=f"{directory}/queue.db",
               PORTAL_ENV="development",  # plain http on loopback: no secure-only cookies, demo Stripe keys
               LOGIN_LIMIT_PER_ADDRESS="1000 per minute", LOGIN_LIMIT_PER_ACCOUNT="1000 per minute")
    drive = drive_wrk if shutil.which("wrk") else drive_python
    portal_port, hello_port = free_port(), free_port()
    servers = [start_gunicorn("wsgi:app", portal_port, env), start_gunicorn("bench.hello:app", hello_port, env)]
    try:
        cookies = {role: login(portal_port, email) for role, email in LOGINS.items()}
        print(f"http: gunicorn 2 workers x 4 threads (gthread), {args.connections} connections, {args.seconds} s "
              f"each, driven by {'wrk' if drive is drive_wrk else 'a Python client'}; load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"  {'endpoint':<28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'hello req/s':>12} {'ratio':>6}")
        for role, path in PAGES:
            if args.k not in f"{role[0].upper()} {path}":
                continue
            path = resolve(portal_port, path, cookies[role])
            request = urllib.request.Request(f"http://127.0.0.1:{portal_port}{path}", headers={"Cookie": cookies[role]})
            for _ in range(20):  # templates compiled and translations loaded in both workers before timing
                urllib.request.urlopen(request, timeout=60).read()
            hello = drive(f"http://127.0.0.1:{hello_port}/", "", args.seconds, args.connections)
            rate, p50, p99 = drive(f"http://127.0.0.1:{portal_port}{path}", cookies[role], args.seconds,
                                   args.connections)
            print(f"  {role[0].upper()} {path:<26} {rate:8.0f} {p50:8.1f} {p99:8.1f} {hello[0]:12.0f} "
                  f"{rate / hello[0]:6.3f}")
        if drive is drive_wrk:
            drive_writes(portal_port, hello_port, cookies["participant"], env, args)
        else:
            print("  (the claim and order POSTs need wrk: apt-get install wrk)")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)


def drive_writes(portal_port: int, hello_port: int, cookie: str, env: dict, args) -> None:
    """Claim submission and order placement (bench/http_writes.py), each right after hello-world as the pages."""
    from bench import http_writes

    url, directory = env["DATABASE_URL"], http_writes.scratch()
    sku = http_writes.first_product_sku(url)
    claim = http_writes.claim_script(directory, csrf_token(portal_port, "/claims/new", cookie), sku)
    order = http_writes.prepare_buyers(url, env["SECRET_KEY"], directory, WRK_THREADS)
    for label, path, script, what, cookie_header in (
        ("P POST /claims/new (submit)", "/claims/new", claim, "claims", cookie),
        ("P POST /shop/checkout", "/shop/checkout", order, "orders", ""),
    ):
        if args.k not in label:
            continue
        before = http_writes.count(url, what)
        hello = drive_wrk(f"http://127.0.0.1:{hello_port}/", "", args.seconds, args.connections)
        rate, p50, p99 = drive_wrk(f"http://127.0.0.1:{portal_port}{path}", cookie_header, args.seconds,
                                   args.connections, script)
        written = http_writes.count(url, what) - before
        print(f"  {label:<28} {rate:8.0f} {p50:8.1f} {p99:8.1f} {hello[0]:12.0f} {rate / hello[0]:6.3f}"
              f"   {written:,} {what} written ({written / args.seconds:.0f}/s)")
