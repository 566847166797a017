#!/usr/bin/env python3
"""Register leads from a CRM export with the partner portal's API: a short example for partners' developers.

    python post_leads.py deals.csv --url http://127.0.0.1:5000 --key plk_...
    python post_leads.py --list --url http://127.0.0.1:5000 --key plk_...

The CSV has one row per deal, `;`-separated, UTF-8 or Windows-1251, with the columns
ID, Менеджер (the participant's e-mail on the portal), Клиент, ИНН, Регион, Контакт, Телефон, E-mail,
Потребность, Сумма, Канал (the channel's name as on the portal) — or in English: id, participant_email,
customer_name, customer_inn, region, contact_name, contact_phone, contact_email, need, amount, channel.

The leads go in batches of up to 500 (POST /api/v1/leads/batch); each lead is checked on its own, so a bad row
is reported with its errors (status 422) and the good ones are registered. A lead whose customer another lead
already holds is registered as rejected, with the reason in its notice.

Safe to run again: the deal's ID is the lead's external_id, so a resend never registers a second lead.
The key needs the leads:write permission (and leads:read for --list). Python 3.9+, no packages needed.
"""

import argparse
import csv
import hashlib
import io
import json
import sys
import urllib.error
import urllib.request
from decimal import Decimal, InvalidOperation

BATCH = 500
COLUMNS = {
    "external_id": ("id", "external_id"), "participant_email": ("менеджер", "participant_email"),
    "customer_name": ("клиент", "customer_name"), "customer_inn": ("инн", "customer_inn"),
    "region": ("регион", "region"), "contact_name": ("контакт", "contact_name"),
    "contact_phone": ("телефон", "contact_phone"), "contact_email": ("e-mail", "contact_email"),
    "need": ("потребность", "need"), "amount": ("сумма", "amount"), "channel": ("канал", "channel"),
}


def read_csv(path: str) -> list[dict]:
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1251")
    reader = csv.reader(io.StringIO(text), delimiter=";" if text.count(";") >= text.count(",") else ",")
    header = [h.strip().lower() for h in next(reader)]
    names = {name: header.index(alias) for name, aliases in COLUMNS.items() for alias in aliases if alias in header}
    return [{name: row[i].strip() for name, i in names.items() if i < len(row)} for row in reader if any(row)]


def call(method: str, url: str, key: str, body: dict | None = None) -> tuple[int, dict, bool]:
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {key}", "Accept-Language": "ru"}
    if body is not None:
        headers.update({"Content-Type": "application/json", "Idempotency-Key": hashlib.sha256(data).hexdigest()})
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response), response.headers.get("Idempotent-Replayed") == "true"
    except urllib.error.HTTPError as error:
        return error.code, json.load(error), False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="?")
    parser.add_argument("--url", default="http://127.0.0.1:5000")
    parser.add_argument("--key", required=True)
    parser.add_argument("--list", action="store_true", help="print the company's leads and their states")
    args = parser.parse_args()
    api = args.url.rstrip("/") + "/api/v1"
    if args.list:
        status, page, _replayed = call("GET", f"{api}/leads?limit=200", args.key)
        for lead in page.get("items", []):
            print(f"#{lead['id']} {lead['external_id'] or '-'} {lead['customer_name']}: {lead['status_label']}"
                  + (f" ({lead['rejection_reason']})" if lead["rejection_reason"] else ""))
        return 0 if status == 200 else 1
    status, channels, _replayed = call("GET", f"{api}/lead-channels", args.key)
    by_name = {c[field].lower(): c["id"] for c in channels.get("items", []) for field in ("name_ru", "name_en")}
    failed, bodies = 0, []
    for row in read_csv(args.csv):
        try:
            amount = int(Decimal(row.get("amount", "").replace("\xa0", "").replace(" ", "").replace(",", ".")) * 100)
        except InvalidOperation:
            amount = 0
        body = {name: row.get(name, "") for name in COLUMNS if name not in ("amount", "channel")}
        channel_id = by_name.get(row.get("channel", "").lower())
        if channel_id is None:
            failed += 1
            print(f"{row.get('external_id')}: no channel named {row.get('channel')!r} on the portal")
            continue
        body.update(estimated_kopecks=amount, channel_id=channel_id)
        bodies.append(body)
    for start in range(0, len(bodies), BATCH):
        status, result, replayed = call("POST", f"{api}/leads/batch", args.key, {"leads": bodies[start:start + BATCH]})
        if status not in (200, 207):  # the whole batch was refused: nothing of it was kept
            print(f"{status} {result.get('title')}: {result.get('detail')} {result.get('errors', '')}")
            return 1
        for item in result["results"]:
            if item["status"] in (200, 201):
                lead = item["lead"]
                state = "sent before" if item["status"] == 200 or replayed else lead["notice"]
                print(f"{item['external_id']}: lead #{lead['id']}, {lead['status_label']} — {state}")
            else:
                failed += 1
                again = " (send it again)" if item["status"] == 409 else ""
                print(f"{item['external_id'] or bodies[start + item['index']]['external_id']}: {item['errors']}{again}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
