"""How long one claim submission holds the database's write lock, and on what: `python -m bench claim_lock
[--claims 60] [--scan pdf|png]`.

The demo seller posts the claim form (invoice, two lines, a scan, "submit") through the test client, as
bench/http_writes.py does under gunicorn, into the demo program in a throwaway SQLite file (or DATABASE_URL). For
each request: the whole request, the write lock (from each transaction's first write to its commit), and
inside or outside the lock the scan's fingerprint, fraud's reads of earlier claims (gather) and the rest of the
scoring (evaluation, the risk row's write). Medians over the claims, with this process's CPU time per request.
"""

import argparse
import io
import os
import random
import shutil
import statistics
import tempfile
import time
from contextlib import contextmanager

PDF = b"%PDF-1.4\n% bench invoice\n"  # what bench/http_writes.py posts (pypdf finds no page in it)


def png_scan(seed: int) -> bytes:
    """A made-up A4 invoice scan at 100 dpi: grey blocks of "text" (a real pHash to compute)."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.new("L", (827, 1169), 255)
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y = rng.randrange(0, 600), rng.randrange(0, 1100)
        draw.rectangle((x, y, x + rng.randrange(40, 220), y + rng.randrange(8, 40)), fill=rng.randrange(0, 120))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


class Clock:
    """Moments of one request: the first write, the commit's end, and time spent in the timed functions, split by
    whether the write lock was held then."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.writing = None  # when the open transaction's first write was, while there is one
        self.spans = []  # ms from each transaction's first write to its commit (the request may hold it twice)
        self.spent = {}  # (name, "in lock" | "outside lock") -> ms

    def write(self):
        if self.writing is None:
            self.writing = time.perf_counter()

    def end(self):
        if self.writing is not None:
            self.spans.append((time.perf_counter() - self.writing) * 1000)
            self.writing = None

    def wrap(self, module, name: str, label: str):
        original = getattr(module, name, None)
        if original is None:
            return

        def timed(*args, **kwargs):
            begun, held = time.perf_counter(), "in lock" if self.writing is not None else "outside lock"
            try:
                return original(*args, **kwargs)
            finally:
                key = (label, held)
                self.spent[key] = self.spent.get(key, 0.0) + (time.perf_counter() - begun) * 1000

        setattr(module, name, timed)


@contextmanager
def _app(url: str | None, directory: str, kept: str | None):
    """The demo program: loaded into DATABASE_URL or a throwaway SQLite file, or copied from `kept` (a SQLite file
    the demo was loaded into by an earlier run with the same --demo: loading it takes a minute)."""
    import flask_migrate

    from bench.scale import make_app
    from portal.demo import load_demo
    from portal.extensions import db

    path = os.path.join(directory, "demo.sqlite3")
    if kept and os.path.exists(kept):
        shutil.copy(kept, path)
    app = make_app(url or f"sqlite:///{path}")
    app.config["UPLOAD_DIR"] = os.path.join(directory, "uploads")
    if not (kept and os.path.exists(kept)):
        with app.app_context():
            flask_migrate.upgrade()
            load_demo()
            db.session.remove()
            db.engine.dispose()
        if kept and not url:
            shutil.copy(path, kept)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def run(argv: list[str] | None = None) -> None:
    from sqlalchemy import event

    import portal.fraud.facts as facts
    import portal.fraud.fingerprints as fingerprints
    import portal.fraud.services as fraud
    from portal.core.time import today
    from portal.extensions import db
    from portal.products.models import Product

    parser = argparse.ArgumentParser(prog="python -m bench claim_lock")
    parser.add_argument("--claims", type=int, default=60)
    parser.add_argument("--scan", choices=("pdf", "png"), default="pdf")
    parser.add_argument("--demo", help="a SQLite file keeping the loaded demo between runs (made when missing)")
    args = parser.parse_args(argv or [])
    clock = Clock()
    for module, name, label in ((fraud, "fingerprint", "fingerprint"), (fingerprints, "fingerprint", "fingerprint"),
                                (fraud, "_raise_linked", "linked claims"),
                                (fraud, "gather", "gather reads"), (facts, "gather", "gather reads"),
                                (fraud, "score_claim", "scoring (begun)")):
        clock.wrap(module, name, label)
    with tempfile.TemporaryDirectory(prefix="portal-bench-lock-") as directory, \
            _app(os.environ.get("DATABASE_URL"), directory, args.demo) as app:
        context = app.app_context()
        context.push()  # for the engine's events; each request below has its own

        @event.listens_for(db.engine, "before_cursor_execute")
        def _first_write(conn, cursor, statement, *rest):
            if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
                clock.write()

        @event.listens_for(db.engine, "commit")
        def _commit(conn):
            clock.end()

        @event.listens_for(db.engine, "rollback")
        def _rollback(conn):
            clock.end()

        sku = db.session.scalar(db.select(Product.sku).where(Product.active.is_(True)).order_by(Product.id))
        db.session.remove()
        context.pop()
        client = app.test_client()
        client.post("/login", data={"email": "seller@demo.test", "password": "demo12345"})
        rows = []
        for number in range(args.claims + 5):
            scan = PDF if args.scan == "pdf" else png_scan(number)
            data = {"invoice_number": f"L-{number}-{time.time_ns()}", "invoice_date": today().isoformat(),
                    "customer_name": "ООО «Нагрузка»", "customer_inn": "", "lines-0-product": sku,
                    "lines-0-quantity": "2", "lines-0-price": "1000", "lines-1-product": sku,
                    "lines-1-quantity": "1", "lines-1-price": "1500", "action": "submit",
                    "scan": (io.BytesIO(scan), f"invoice.{args.scan}")}
            clock.reset()
            begun, begun_cpu = time.perf_counter(), time.process_time()
            response = client.post("/claims/new", data=data, content_type="multipart/form-data")
            ended, cpu = time.perf_counter(), (time.process_time() - begun_cpu) * 1000
            assert response.status_code == 302, response.status_code
            if number < 5:
                continue  # warm-up: caches, compiled statements
            rows.append({"request": (ended - begun) * 1000, "cpu": cpu, "lock: the claim's": clock.spans[0],
                         "lock: all spans": sum(clock.spans), **{
                f"{label} {held}": ms for (label, held), ms in clock.spent.items()}})
    fixed = ("request", "cpu", "lock: the claim's", "lock: all spans")
    labels = sorted({key for row in rows for key in row} - set(fixed))
    print(f"claim submission in process ({args.claims} claims, a {args.scan} scan; load average "
          f"{os.getloadavg()[0]:.1f}): medians")
    for key in (*fixed, *labels):
        values = [row.get(key, 0.0) for row in rows]
        print(f"  {key:<34} {statistics.median(values):7.2f} ms   p95 "
              f"{sorted(values)[int(len(values) * 0.95) - 1]:7.2f} ms")
