"""The API and the sales import at partner size: a batch of 500 claims, and a 1C file of 100,000 lines.

Targets from the issue: the batch is accepted in under 5 s on SQLite, the file in under 60 s.
"""

import csv
import io
import random
import time
from datetime import timedelta

from sqlalchemy import func, insert, select

from bench.harness import add_people, bench_app
from portal.api import sales_import
from portal.api import services as keys
from portal.auth.models import PARTNER_ADMIN, User
from portal.claims.models import Claim
from portal.core.inn import make_inn
from portal.core.time import today, utcnow
from portal.extensions import db
from portal.partners.models import APPROVED, PartnerCompany
from portal.products.models import Product

SELLERS = 200
PRODUCTS = 500
BATCH = 500
FILE_LINES = 100_000
LINES_PER_INVOICE = 5


def build() -> str:
    """A company with sellers and an admin, the catalogue; returns an API key of the company."""
    db.session.add(PartnerCompany(inn=make_inn("700000001"), name="ООО «Дистрибьютор»", region="Москва",
                                  status=APPROVED))
    add_people(SELLERS, email="s{i}@bench.test", full_name="Продавец {i}")
    admin = db.session.get(User, 1)
    admin.role = PARTNER_ADMIN
    db.session.execute(insert(Product), [
        {"sku": f"SKU-{i:05d}", "name": f"Товар {i}", "category": f"Категория {i % 20}",
         "list_price_kopecks": 100_000 + i, "cost_kopecks": 70_000, "active": True, "created_at": utcnow(),
         "updated_at": utcnow()} for i in range(PRODUCTS)
    ])
    db.session.flush()
    token = keys.create_key(admin, "bench", ["claims:write", "claims:read"]).token
    db.session.commit()
    return token


def batch_body(rng: random.Random, start: int) -> dict:
    day = today() - timedelta(days=5)
    return {"claims": [{
        "external_id": f"DOC-{start + n}", "seller_email": f"s{rng.randrange(SELLERS)}@bench.test",
        "invoice_number": f"INV-{start + n}", "invoice_date": day.isoformat(), "customer_name": "ООО «Клиент»",
        "lines": [{"sku": f"SKU-{rng.randrange(PRODUCTS):05d}", "quantity": rng.randint(1, 20),
                   "unit_price_kopecks": rng.randint(50_000, 500_000)} for _ in range(3)],
    } for n in range(BATCH)]}


def sales_file(rng: random.Random) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["Номер", "Дата", "Продавец", "Контрагент", "ИНН", "Артикул", "Количество", "Цена"])
    day = (today() - timedelta(days=7)).strftime("%d.%m.%Y")
    for line in range(FILE_LINES):
        invoice = line // LINES_PER_INVOICE
        writer.writerow([f"Р-{invoice}", f"{day} 0:00:00", f"s{invoice % SELLERS}@bench.test", "ООО «Клиент»", "",
                         f"SKU-{rng.randrange(PRODUCTS):05d}", f"{rng.randint(1, 20)},000",
                         f"{rng.randint(500, 5000)},00"])
    return buffer.getvalue().encode("utf-8")


def run() -> None:
    rng = random.Random(15)
    print(f"api: {SELLERS} sellers, {PRODUCTS} products; a batch of {BATCH} claims; a file of {FILE_LINES:,} lines")
    with bench_app() as app:
        with app.app_context():
            token = build()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        for attempt in range(3):
            body = batch_body(rng, attempt * BATCH)
            start, cpu = time.perf_counter(), time.process_time()
            response = client.post("/api/v1/claims/batch", json=body, headers=headers)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            assert response.status_code == 200 and response.get_json()["created"] == BATCH, response.get_json()
            print(f"  {'POST /api/v1/claims/batch, 500 claims of 3 lines (target < 5 s)':<66} {elapsed:6.2f} s"
                  f"   (CPU {cpu:.2f} s)")

        content = sales_file(rng)
        with app.test_request_context():
            start, cpu = time.perf_counter(), time.process_time()
            report = sales_import.check_file("sales.csv", content, 1)
            checked = time.perf_counter() - start
            assert len(report.valid_groups) == FILE_LINES // LINES_PER_INVOICE
            print(f"  {'check a 1C file of 100,000 lines, the row-by-row report':<66} {checked:6.2f} s")
            start = time.perf_counter()
            _report, made = sales_import.import_file("sales.csv", content, 1, plan=report.plan)
            db.session.commit()
            imported = time.perf_counter() - start
            print(f"  {'confirm: make its 20,000 claims in one transaction':<66} {imported:6.2f} s")
            print(f"  {'the file accepted: check + confirm (target < 60 s)':<66} {checked + imported:6.2f} s"
                  f"   (CPU {time.process_time() - cpu:.2f} s)")
            assert made == FILE_LINES // LINES_PER_INVOICE
            assert db.session.scalar(select(func.count(Claim.id))) == made + 3 * BATCH

            workbook = xlsx_of(content)
            start = time.perf_counter()
            report = sales_import.check_file("sales.xlsx", workbook, 1)
            print(f"  {'check the same file as XLSX (all its invoices now known)':<66} "
                  f"{time.perf_counter() - start:6.2f} s")
            assert report.existing_groups == FILE_LINES // LINES_PER_INVOICE


def xlsx_of(content: bytes) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in csv.reader(io.StringIO(content.decode()), delimiter=";"):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
