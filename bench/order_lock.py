"""Order placement in process: how long one checkout holds the write lock, and what for (issue #27).

`python -m bench order-lock [--orders 200] [--database PATH]`: the demo program in a throwaway SQLite file (or a
copy of PATH, prepared by an earlier run with `--keep`), 3,000 buyers with a prize in the cart as
`python -m bench http` prepares them (bench/http_writes.py), then one checkout after another through Flask's
test client, each a POST /shop/checkout with that buyer's session cookie. Per request: the wall time and CPU
time of the whole request, and from the transaction's first write (INSERT, UPDATE, DELETE: where SQLite takes
its write lock) to the end of its commit, the time and the statements, by part. A write's part is its table's, a
read's the innermost feature on its call stack (KPI counters, the bell, the mail, the ledger, the order); a
statement's own time and the time since the statement before it (the work that prepared it) count to it, the
time between the last statement and the end of the commit to "commit".
"""

import argparse
import cProfile
import os
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
SECRET = "bench-order-lock"
# A write counts to the part its table belongs to (the ORM flushes whatever is pending when any part reads); a
# read to the innermost part on its call stack (a KPI counter read for the ledger's event counts to the KPI).
TABLES = [
    ("kpi_", "KPI counters"), ("notification", "bell notification"), ("outbox_messages", "mail"),
    ("person_versions", "cache versions"), ("ledger_", "ledger (posting, lots, totals)"),
]
STACK = [
    ("portal/kpi/", "KPI counters"), ("portal/notifications/services", "bell notification"),
    ("portal/notifications/mailing", "mail"), ("portal/ops/outbox", "mail"), ("portal/core/mail", "mail"),
    ("portal/core/freshness", "cache versions"), ("portal/ledger/", "ledger (posting, lots, totals)"),
    ("portal/shop/", "order rows, cart, stock, delivery"),
]


def part_of(sql: str) -> str:
    words = sql.split(None, 4)
    if words[0].upper() in WRITES:
        table = words[2] if words[0].upper() in ("INSERT", "DELETE") else words[1]
        for prefix, part in TABLES:
            if table.startswith(prefix):
                return part
        return "order rows, cart, stock, delivery"
    for frame in reversed(traceback.extract_stack(limit=60)):
        name = frame.filename.replace(os.sep, "/")
        for marker, part in STACK:
            if marker in name:
                return part
    return "other"


class Recorder:
    """Statements and their times from the first write of a transaction to the end of its commit, wall and CPU
    (the thread's: less disturbed by the neighbours' load than the wall clock)."""

    def __init__(self, engine):
        self.requests, self.current, self.profile = [], None, None
        event.listen(engine, "before_cursor_execute", self.statement)
        event.listen(engine, "after_cursor_execute", self.executed)
        # Inserted first: the commit's other listeners (mail handed to the worker) run after the lock is left.
        event.listen(Session, "after_commit", self.committed, insert=True)

    def start(self) -> None:
        self.current = {"first_write": None, "parts": {}, "statements": [], "before": 0, "end": None}

    @staticmethod
    def clocks() -> tuple[float, float]:
        return time.perf_counter(), time.thread_time()

    def _add(self, record, part: str, now: tuple[float, float], statements: int = 0) -> None:
        spent = record["parts"].setdefault(part, [0.0, 0.0, 0])
        spent[0] += now[0] - record["last"][0]
        spent[1] += now[1] - record["last"][1]
        spent[2] += statements

    def statement(self, conn, cursor, sql, *args) -> None:
        record, now = self.current, self.clocks()
        if record is None or record["end"] is not None:
            return
        if record["first_write"] is None:
            if not sql.lstrip()[:7].upper().startswith(WRITES):
                record["before"] += 1
                record["statements"].append(("before the lock", " ".join(sql.split())[:150]))
                return
            record["first_write"] = record["last"] = now
            if self.profile:
                self.profile.enable()
        part = part_of(sql)
        self._add(record, part, now, 1)
        record["statements"].append((part, " ".join(sql.split())[:150]))
        record["current"] = part
        record["last"] = self.clocks()  # the stack walk is the recorder's own time, not the request's

    def executed(self, conn, cursor, sql, *args) -> None:
        record, now = self.current, self.clocks()
        if record is None or record["first_write"] is None or record["end"] is not None:
            return
        self._add(record, record["current"], now)
        record["last"] = now

    def committed(self, session) -> None:
        record, now = self.current, self.clocks()
        if record is None or record["first_write"] is None or record["end"] is not None:
            return
        if self.profile:
            self.profile.disable()
        self._add(record, "commit", now)
        record["end"] = now

    def finish(self, wall: float, cpu: float) -> None:
        record, self.current = self.current, None
        if record["end"] is None:
            raise RuntimeError("the checkout wrote nothing, or did not commit")
        record.update(wall=wall, cpu=cpu, lock=record["end"][0] - record["first_write"][0],
                      lock_cpu=record["end"][1] - record["first_write"][1])
        self.requests.append(record)


def prepare(directory: str) -> tuple[str, list[tuple[str, str]]]:
    from bench import http, http_writes

    url = http.demo_database(directory)
    http_writes.prepare_buyers(url, SECRET, directory, 1)
    lines = Path(directory, "orders.txt").read_text().splitlines()
    return url, [tuple(line.split("\t", 1)) for line in lines]


def run(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench order-lock", description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--database", help="a directory kept by an earlier --keep run (copied, not changed)")
    parser.add_argument("--keep", help="keep the prepared directory here for later runs")
    parser.add_argument("--statements", action="store_true", help="print one request's statements under the lock")
    parser.add_argument("--check", action="store_true", help="run `portal check` on the database afterwards")
    parser.add_argument("--profile", help="write a cProfile of the write locks (first write to commit) to this file")
    args = parser.parse_args(sys.argv[2:] if argv is None else argv)
    directory = tempfile.mkdtemp(prefix="portal-bench-order-lock-")
    if args.database:
        for name in ("demo.sqlite3", "orders.txt"):
            shutil.copy(Path(args.database, name), Path(directory, name))
        url = f"sqlite:///{directory}/demo.sqlite3"
        lines = [tuple(line.split("\t", 1)) for line in Path(directory, "orders.txt").read_text().splitlines()]
    else:
        url, lines = prepare(directory)
        if args.keep:
            Path(args.keep).mkdir(parents=True, exist_ok=True)
            for name in ("demo.sqlite3", "orders.txt"):
                shutil.copy(Path(directory, name), Path(args.keep, name))

    from portal import create_app
    from portal.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET, "UPLOAD_DIR": f"{directory}/uploads",
                      "HUEY_SQLITE_PATH": f"{directory}/queue.db",
                      "PORTAL_ENV": "development"})  # as `python -m bench http` runs it: demo Stripe keys
    client = app.test_client()
    with app.app_context():
        recorder = Recorder(db.engine)
    for cookie, body in lines[:10]:  # templates compiled, catalogues loaded
        _post(client, cookie, body, recorder)
    recorder.requests.clear()
    recorder.profile = cProfile.Profile() if args.profile else None
    for cookie, body in lines[10:10 + args.orders]:
        _post(client, cookie, body, recorder)
    if recorder.profile:
        recorder.profile.dump_stats(args.profile)
    report(recorder.requests, args.statements)
    if args.check:
        from portal.checks.runner import run_checks

        with app.test_request_context():
            drifted = [result for result in run_checks() if not result.clean]
            print("portal check:", "; ".join(f"{r.check.name}: {r.findings}" for r in drifted) or "all clean")
    shutil.rmtree(directory, ignore_errors=True)


def _post(client, cookie: str, body: str, recorder: Recorder) -> None:
    name, value = cookie.split("=", 1)
    client.set_cookie(name, value)
    recorder.start()
    wall, cpu = time.perf_counter(), time.process_time()
    response = client.post("/shop/checkout", data=body, content_type="application/x-www-form-urlencoded")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if response.status_code != 302 or "/shop/orders/" not in response.headers.get("Location", ""):
        raise RuntimeError(f"checkout answered {response.status_code} {response.headers.get('Location')}")
    recorder.finish(wall, cpu)


def report(requests: list[dict], show_statements: bool) -> None:
    def ms(values):
        values = sorted(values)
        return f"{statistics.median(values) * 1000:6.1f} / {values[int(len(values) * 0.95)] * 1000:6.1f}"

    print(f"order placement in process, {len(requests)} orders one after another; load average "
          f"{os.getloadavg()[0]:.1f}; median / p95 ms, wall and CPU")
    print(f"  whole request                        {ms(r['wall'] for r in requests)}  {ms(r['cpu'] for r in requests)}"
          f"   statements before the first write: {statistics.median(r['before'] for r in requests):.0f}")
    print(f"  write lock held (first write-commit) {ms(r['lock'] for r in requests)}  "
          f"{ms(r['lock_cpu'] for r in requests)}   statements under it: "
          f"{statistics.median(len(r['statements']) - r['before'] for r in requests):.0f}")
    parts = sorted({p for r in requests for p in r["parts"]},
                   key=lambda p: -sum(r["parts"].get(p, [0, 0, 0])[1] for r in requests))
    total_cpu = sum(r["lock_cpu"] for r in requests)
    for part in parts:
        wall, cpu, count = ([r["parts"].get(part, [0.0, 0.0, 0])[i] for r in requests] for i in range(3))
        print(f"    {part:<34} {ms(wall)}  {ms(cpu)}  {sum(cpu) / total_cpu:4.0%} of the CPU, "
              f"{statistics.median(count):3.0f} statements")
    if show_statements:
        for part, sql in requests[len(requests) // 2]["statements"]:
            print(f"      [{part}] {sql}")
