#!/usr/bin/env python3
"""Post sales exported from 1C to the partner portal's API: a short example for partners' developers.

    python post_sales.py sales.csv --url http://127.0.0.1:5000 --key plk_...

The CSV is what 1C exports: one row per invoice line, `;`-separated, UTF-8 or Windows-1251, with the columns
Номер, Дата, Продавец (the seller's e-mail on the portal), Контрагент, ИНН, Артикул, Количество, Цена
(English headers work too: invoice_number, invoice_date, seller_email, customer_name, customer_inn, sku,
quantity, unit_price). Lines of one invoice (number + date + seller) become one claim, sent in batches of 500.

Each claim of a batch is checked on its own: the answer is 200 when all of them went through, 207 Multi-Status
when some did not; then each result has its own status (201 created, 200 sent before, 422 with its errors, 409
saved at the same moment by another request: send it again) and the good claims are kept.

Safe to run again: each claim's external_id is derived from its invoice, so a resend never makes a second
claim, and each batch carries an Idempotency-Key derived from its content. Python 3.9+, no packages needed.
"""

import argparse
import csv
import hashlib
import io
import json
import sys
import urllib.error
import urllib.request
from datetime import datetime
from decimal import Decimal, InvalidOperation

COLUMNS = {
    "invoice_number": ("номер", "invoice_number"), "invoice_date": ("дата", "invoice_date"),
    "seller_email": ("продавец", "seller_email"), "customer_name": ("контрагент", "customer_name"),
    "customer_inn": ("инн", "customer_inn"), "sku": ("артикул", "sku"), "quantity": ("количество", "quantity"),
    "unit_price": ("цена", "unit_price"),
}
BATCH = 500


def read_csv(path: str) -> list[dict]:
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1251")
    reader = csv.reader(io.StringIO(text), delimiter=";" if text.count(";") >= text.count(",") else ",")
    header = [h.strip().lower() for h in next(reader)]
    names = {}
    for name, aliases in COLUMNS.items():
        for alias in aliases:
            if alias in header:
                names[name] = header.index(alias)
    return [{name: row[i].strip() for name, i in names.items() if i < len(row)} for row in reader if any(row)]


def number(text: str) -> Decimal:
    return Decimal(text.replace("\xa0", "").replace(" ", "").replace(",", "."))


def to_claims(rows: list[dict]) -> list[dict]:
    claims: dict[tuple, dict] = {}
    for row in rows:
        day = datetime.strptime(row["invoice_date"].split(" ")[0], "%d.%m.%Y").date().isoformat()
        key = (row["invoice_number"], day, row["seller_email"].lower())
        claim = claims.setdefault(key, {
            "external_id": "1c:" + hashlib.sha256("|".join(key).encode()).hexdigest()[:24],
            "seller_email": key[2], "invoice_number": key[0], "invoice_date": day,
            "customer_name": row["customer_name"], "customer_inn": row.get("customer_inn", ""), "lines": [],
        })
        try:
            claim["lines"].append({"sku": row["sku"], "quantity": int(number(row["quantity"])),
                                   "unit_price_kopecks": int(number(row["unit_price"]) * 100)})
        except (InvalidOperation, ValueError):
            print(f"skipped a line of {key[0]}: quantity or price is not a number", file=sys.stderr)
    return list(claims.values())


def post(url: str, key: str, body: dict) -> tuple[int, dict, bool]:
    data = json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json", "Accept-Language": "ru",
        "Idempotency-Key": hashlib.sha256(data).hexdigest(),
    })
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.load(response), response.headers.get("Idempotent-Replayed") == "true"
    except urllib.error.HTTPError as error:
        return error.code, json.load(error), False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv")
    parser.add_argument("--url", default="http://127.0.0.1:5000")
    parser.add_argument("--key", required=True, help="an API key with the claims:write permission")
    args = parser.parse_args()
    claims = to_claims(read_csv(args.csv))
    failed = 0
    for start in range(0, len(claims), BATCH):
        status, result, replayed = post(args.url.rstrip("/") + "/api/v1/claims/batch", args.key,
                              {"claims": claims[start:start + BATCH]})
        if status not in (200, 207):  # the whole batch was refused: nothing of it was kept
            print(f"{status} {result.get('title')}: {result.get('detail')} {result.get('errors', '')}")
            return 1
        note = " (this batch was sent before: the first answer)" if replayed else ""
        print(f"created {result['created']}, already there {result['existing']}, refused {result['failed']}{note}; "
              f"awaiting a scan {result.get('awaiting_scan', 0)} (their sellers attach it in My sales)")
        for item in result["results"]:
            if item["status"] >= 400:
                failed += 1
                claim = claims[start + item["index"]]
                again = " (send it again)" if item["status"] == 409 else ""
                for field, messages in (item["errors"] or {}).items():
                    print(f"  {claim['invoice_number']} {claim['invoice_date']}: {field}: {'; '.join(messages)}{again}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
