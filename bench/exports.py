"""A background export of 100,000 rows through the worker: time, and memory at 10,000, 50,000 and 100,000 rows.

The supplier's order list (one row per order line) over 100,000 approved orders, written by the worker's task
in openpyxl's write-only mode. Memory is the process's resident size, sampled every 20 ms while the task
runs, minus what it was before: flat means it does not grow with the number of rows.
"""

import json
import os
import tempfile
import threading
import time

from sqlalchemy import insert, select

from bench.harness import add_people, bench_app
from portal.auth.models import User
from portal.core.inn import make_inn
from portal.core.time import utcnow
from portal.extensions import db
from portal.partners.models import APPROVED, PartnerCompany
from portal.shop.models import Order, OrderLine, Prize, PrizeCategory

ORDERS = 100_000
BUYERS = 1_000


def _rss_kib() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class RssPeak:
    def __enter__(self):
        self.base = self.peak = _rss_kib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss_kib())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_kib())

    @property
    def grown_mib(self) -> float:
        return (self.peak - self.base) / 1024


def build() -> None:
    now = utcnow()
    db.session.add(PartnerCompany(inn=make_inn("600000001"), name="ООО «Партнёр»", region="Москва", status=APPROVED))
    add_people(BUYERS, email="b{i}@bench.test", full_name="Покупатель {i}")
    db.session.add(PrizeCategory(name="Категория", position=1))
    db.session.flush()
    db.session.execute(insert(Prize), [{"category_id": 1, "name": f"Приз {i}", "description": "", "price_points": 500,
                                        "stock": None, "electronic": False, "active": True, "low_stock_threshold": 3,
                                        "created_at": now} for i in range(100)])
    for start in range(0, ORDERS, 10_000):
        db.session.execute(insert(Order), [
            {"user_id": 1 + i % BUYERS, "status": "approved", "request_token": f"o{i}", "points": 500,
             "card_kopecks": 0, "prize_value_kopecks": 50_000, "delivery_address": "г. Москва, ул. Садовая, д. 1",
             "delivery_phone": "+79161234567", "delivery_email": None, "created_at": now, "updated_at": now}
            for i in range(start, start + 10_000)])
        db.session.execute(insert(OrderLine), [
            {"order_id": i + 1, "prize_id": 1 + i % 100, "quantity": 1, "price_points": 500, "value_kopecks": 50_000}
            for i in range(start, start + 10_000)])
    db.session.commit()


def run() -> None:
    print(f"exports: the supplier's order list over {ORDERS:,} orders, written by the worker (XLSX, write-only)")
    from portal import worker
    from portal.ops import exports
    from portal.ops.models import ExportJob

    folder = tempfile.mkdtemp(prefix="portal-bench-exports-")
    worker.use_queue(sqlite_path=os.path.join(folder, "queue.sqlite3"))
    with bench_app() as app:
        app.config["UPLOAD_DIR"] = folder
        worker.bind_app(app)
        with app.app_context():
            started = time.perf_counter()
            build()
            print(f"  built in {time.perf_counter() - started:.0f} s on {db.engine.dialect.name}")
            manager_id = db.session.scalar(select(User.id).where(User.email == "manager@bench.test"))
        original = exports.EXPORT_BUILDERS["shop-orders"]
        for rows in (10_000, 50_000, ORDERS):
            def limited(params, rows=rows):
                table = original(params)
                table.total = min(table.total, rows)
                table.rows = (row for _n, row in zip(range(rows), table.rows, strict=False))
                return table

            exports.EXPORT_BUILDERS["shop-orders"] = limited
            with app.test_request_context():
                job = exports.start_export(db.session.get(User, manager_id), "shop-orders", {"status": "approved"},
                                           "xlsx")
                db.session.commit()
                job_id = job.id
            worker.enqueue_export(job_id)
            task = worker.huey.dequeue()
            with RssPeak() as memory:
                started = time.perf_counter()
                worker.huey.execute(task)
                seconds = time.perf_counter() - started
            with app.app_context():
                job = db.session.get(ExportJob, job_id)
                size = os.path.getsize(job.file_path) / 1024 / 1024
                print(f"  {rows:>7,} rows: {job.status} at {job.percent}% in {seconds:5.1f} s "
                      f"({rows / seconds:,.0f} rows/s), file {size:.1f} MiB, "
                      f"resident memory grew {memory.grown_mib:.1f} MiB  {json.loads(job.params)}")
        exports.EXPORT_BUILDERS["shop-orders"] = original


if __name__ == "__main__":
    run()
