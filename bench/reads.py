"""What people wait for, on the demo and on the scale program side by side: `python -m bench reads [PATH]`.

PATH is the scale database built by `python -m bench scale` (default instance/scale.sqlite3; DATABASE_URL when
set). The demo is loaded into a throwaway SQLite file. Each line prints both medians (in-process requests
through the test client, signed in), the scale p95 and the issue's target. Nothing is asserted.
"""

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager

from sqlalchemy import event, func, select

from bench.scale import MANAGER_EMAIL, MOST_ACTIVE_EMAIL, PASSWORD, default_path, make_app

DEMO_PARTICIPANT, DEMO_MANAGER, DEMO_PASSWORD = "seller@demo.test", "manager@demo.test", "demo12345"


def measure(fn, repeat: int) -> tuple[float, float, float]:
    """Median and p95 of the wall time, and the median CPU time of this process (in-process SQLite work
    included), in ms. On a shared machine the CPU time is the steadier number: wall time waits for the cores."""
    fn()  # warm up caches and compiled statements
    samples, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, math.ceil(len(samples) * 0.95) - 1)], statistics.median(cpu)


@contextmanager
def statements_counted(engine):
    counter = {"n": 0}

    def count(*args):
        counter["n"] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", count)


class Program:
    """One database to read: the app, a signed-in participant (the most active one) and a manager."""

    def __init__(self, app, participant: str, manager: str, password: str):
        self.app = app
        self.participant, self.manager = app.test_client(), app.test_client()
        self.participant.post("/login", data={"email": participant, "password": password})
        self.manager.post("/login", data={"email": manager, "password": password})
        from portal.auth.models import User
        from portal.extensions import db

        with app.app_context():
            self.people = db.session.scalar(select(func.count(User.id)))
            sample = db.session.scalar(select(User).where(User.role == "participant").order_by(User.id.desc()))
            self.email_term = sample.email.split("@")[0] + "@"
            self.phone_term = (sample.phone or "+70000000000")[-7:]

    def get(self, client, path: str):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    def cases(self):
        p, m = self.participant, self.manager
        last_page = max(1, math.ceil(self.people / 25))
        return [
            ("statement of the most active participant, page 1", 50, lambda: self.get(p, "/points")),
            ("participant /home", 50, lambda: self.get(p, "/home")),
            ("participant /claims", 50, lambda: self.get(p, "/claims")),
            ("participant /shop", 50, lambda: self.get(p, "/shop")),
            ("people list, first page", 30, lambda: self.get(m, "/console/people")),
            ("people list, last page", 30, lambda: self.get(m, f"/console/people?page={last_page}")),
            ("people search, Cyrillic name", 30, lambda: self.get(m, "/console/people?q=смирнов")),
            ("people search, email", 30, lambda: self.get(m, f"/console/people?q={self.email_term}")),
            ("people search, phone digits", 30, lambda: self.get(m, f"/console/people?q={self.phone_term}")),
            ("people search, no match", 30, lambda: self.get(m, "/console/people?q=щщщщзз")),
            ("review queue", 30, lambda: self.get(m, "/console/claims")),
            ("points totals", 30, lambda: self.get(m, "/console/points")),
            ("KPI: the manager's dashboard /home", 20, lambda: self.get(m, "/home")),
            ("KPI: plan and actual /kpi", 30, lambda: self.get(m, "/kpi")),
            ("KPI: prize fund budget /kpi/budget", 30, lambda: self.get(m, "/kpi/budget")),
            ("run-jobs, nothing due", 200, self.run_jobs),
        ]

    def run_jobs(self):
        from portal.jobs import run_due_jobs

        with self.app.test_request_context(base_url=self.app.config["PORTAL_URL"]):
            run_due_jobs()

    def check_ledger(self) -> tuple[float, int]:
        from portal.extensions import db
        from portal.ledger.reports import check_ledger

        with self.app.app_context():
            start = time.perf_counter()
            problems = check_ledger()
            seconds = time.perf_counter() - start
            db.session.remove()
        return seconds, len(problems)


def demo_program() -> Program:
    import flask_migrate

    directory = tempfile.mkdtemp(prefix="portal-bench-demo-")
    app = make_app(f"sqlite:///{directory}/demo.sqlite3")
    with app.app_context():
        from portal.demo import load_demo

        flask_migrate.upgrade()
        load_demo()
    return Program(app, DEMO_PARTICIPANT, DEMO_MANAGER, DEMO_PASSWORD)


def scale_program(path: str | None) -> Program:
    url = os.environ.get("DATABASE_URL") if not path and os.environ.get("DATABASE_URL") else None
    url = url or f"sqlite:///{path or default_path()}"
    return Program(make_app(url), MOST_ACTIVE_EMAIL, MANAGER_EMAIL, PASSWORD)


def run(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench reads", description=__doc__.split("\n")[0])
    parser.add_argument("path", nargs="?", help="the scale database (default instance/scale.sqlite3)")
    parser.add_argument("-k", default="", help="only the lines whose label holds this text")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(sys.argv[2:] if argv is None else argv)
    repeat = args.repeat
    demo, large = demo_program(), scale_program(args.path)
    with large.app.app_context():
        from portal.extensions import db

        engine = db.engine.dialect.name
    print(f"reads: demo ({demo.people} people) and scale ({large.people:,} people, {engine}), "
          f"medians of {repeat} in ms; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  {'what':<52} {'demo':>7} {'(cpu)':>7} {'scale':>8} {'(cpu)':>7} {'p95':>8} {'target':>7}")
    for (label, target, on_demo), (_, _, on_large) in zip(demo.cases(), large.cases(), strict=True):
        if args.k not in label:
            continue
        demo_median, _, demo_cpu = measure(on_demo, repeat)
        median, p95, cpu = measure(on_large, repeat)
        # On SQLite the CPU time includes the database's work; on PostgreSQL it does not: only wall time counts.
        mark = "ok" if median <= target else "ok in CPU time" if cpu <= target and engine == "sqlite" else "MISSED"
        print(f"  {label:<52} {demo_median:7.1f} {demo_cpu:7.1f} {median:8.1f} {cpu:7.1f} {p95:8.1f} {target:7} {mark}")
    if args.k:
        return
    with large.app.app_context(), statements_counted(db.engine) as counter:
        large.run_jobs()
    print(f"  run-jobs with nothing due runs {counter['n']} SQL statements at scale")
    for name, program in (("demo", demo), ("scale", large)):
        seconds, problems = program.check_ledger()
        print(f"  check-ledger on {name}: {seconds:.2f} s, {problems} problems")
