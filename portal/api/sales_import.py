"""Sales exported from 1C (or any ERP) as CSV or XLSX: one row per invoice line, grouped into claims.

Rows of one invoice (number, date and seller) become one claim. `check_file` reports every row without
writing anything, applying the claim form's rules (catalogue, window, INN, the seller's company);
`import_file` writes the valid claims as drafts in one transaction: either every valid claim is made, or none.
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload

from portal.auth.models import PARTNER_ROLES, User
from portal.claims import services as claims
from portal.claims.models import DRAFT, REJECTED, Claim, ClaimLine
from portal.core import imports as frame
from portal.core.errors import DomainError
from portal.core.inn import is_valid_inn, normalize_inn
from portal.core.time import utcnow
from portal.extensions import db
from portal.leads.services import resolve_claim_lead
from portal.partners.models import PartnerCompany
from portal.products.models import Product
from portal.products.services import parse_money

from .claim_leads import named_lead
from .models import ClaimReference
from .sales_columns import _ALIASES, COLUMN_LABELS, HEADERS, REQUIRED, TEMPLATE_HEADERS  # noqa: F401 - re-exported
from .submissions import Sale

MAX_ROWS = 200_000
MAX_LINES_PER_CLAIM = 500



@dataclass
class Row:
    number: int  # as in the spreadsheet, header = 1
    invoice_number: str = ""
    invoice_date: date | None = None
    seller_email: str = ""
    customer_name: str = ""
    customer_inn: str = ""
    sku: str = ""
    quantity: int | None = None
    unit_price_kopecks: int | None = None
    lead: str = ""  # as written: the portal's lead number or the partner's own id of the lead
    errors: list[str] = field(default_factory=list)
    group: "Group | None" = None

    @property
    def amount(self) -> int:
        return (self.quantity or 0) * (self.unit_price_kopecks or 0)


@dataclass
class Group:
    """The rows of one invoice: one claim."""

    external_id: str
    rows: list[Row]
    exists: bool = False
    errors: list[str] = field(default_factory=list)
    lead_id: int | None = None  # the lead the invoice names, checked; None: linked by the customer's INN

    @property
    def valid(self) -> bool:
        return not self.errors and not self.exists and all(not row.errors for row in self.rows)

    def sale(self) -> Sale:
        first = self.rows[0]
        data = claims.ClaimData(
            invoice_number=first.invoice_number, invoice_date=first.invoice_date, customer_name=first.customer_name,
            customer_inn=first.customer_inn,
            lines=[claims.LineData(row.sku, row.quantity, row.unit_price_kopecks) for row in self.rows],
            lead_id=self.lead_id,
        )
        return Sale(external_id=self.external_id, seller_email=first.seller_email, claim=data)


@dataclass
class Report:
    rows: list[Row]
    groups: list[Group]

    @property
    def valid_groups(self) -> list[Group]:
        return [g for g in self.groups if g.valid]

    @property
    def plan(self) -> str:
        """Which claims the confirmation will make: it must not change between the check and the import."""
        ids = "\n".join(sorted(g.external_id for g in self.valid_groups))
        return hashlib.sha256(ids.encode()).hexdigest()[:32]

    @property
    def existing_groups(self) -> int:
        return sum(1 for g in self.groups if g.exists)

    @property
    def error_rows(self) -> int:
        return sum(1 for row in self.rows if row.errors or (row.group is not None and row.group.errors))


def _header_index(header: list) -> dict[str, int]:
    index = {}
    for position, title in enumerate(header):
        name = _ALIASES.get(" ".join(str(title or "").replace("ё", "е").replace("Ё", "Е").lower().split()).rstrip(":"))
        if name and name not in index:
            index[name] = position
    missing = [str(COLUMN_LABELS[c]) for c in REQUIRED if c not in index]
    if missing:
        raise DomainError(_l("The file needs the columns: %(columns)s.", columns=", ".join(missing)), field="file")
    return index


def parse_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip().split(" ")[0]
    for pattern in (r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$", r"^(\d{4})-(\d{2})-(\d{2})$"):
        found = re.match(pattern, text)
        if found:
            parts = [int(p) for p in found.groups()]
            day, month, year = parts if pattern.startswith(r"^(\d{1,2})") else parts[::-1]
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None


def parse_quantity(value) -> int | None:
    """1C writes quantities with three decimals ("2,000" is two, not two thousand): whole numbers only."""
    if isinstance(value, int | float | Decimal):
        text = str(value)
    else:
        text = re.sub(r"[\s\u00a0]", "", str(value or "")).replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite() or number != number.to_integral_value():
        return None
    return int(number) if 0 < number <= 100_000 else None


def _money(value) -> int | None:
    try:
        amount = parse_money(value)
    except (InvalidOperation, ValueError, OverflowError):
        return None
    return amount if amount is not None and amount <= 10**12 else None


def _text(values: list, index: dict, name: str, limit: int) -> str:
    value = _value(values, index, name)
    return " ".join(str(value if value is not None else "").split())[:limit]


def _value(values: list, index: dict, name: str):
    position = index.get(name)
    value = values[position] if position is not None and position < len(values) else None
    if isinstance(value, float) and value.is_integer() and name in ("invoice_number", "customer_inn", "sku"):
        return int(value)  # a spreadsheet stores 1024 or an INN as a number: 1024.0 is not the document's name
    return value


def _external_id(row: Row) -> str:
    key = f"{claims.invoice_key(row.invoice_number)}|{row.invoice_date}|{row.seller_email}"
    return "import:" + hashlib.sha256(key.encode()).hexdigest()[:32]


def read_table(filename: str, content: bytes) -> list[list]:
    """The rows of a CSV or XLSX file (the import frame's reader: XLSX through calamine, 100,000 rows in about a
    second)."""
    return frame.read_table(filename, content, max_rows=MAX_ROWS)


def check_file(filename: str, content: bytes, company_id: int) -> Report:
    """Every row checked and grouped into claims; nothing is written."""
    table = read_table(filename, content)
    if not any(table[0]):
        raise DomainError(_l("The file is empty."), field="file")
    index = _header_index(table[0])
    products = {sku: active for sku, active in db.session.execute(select(Product.sku, Product.active))}
    sellers = {email for (email,) in db.session.execute(
        select(User.email).where(User.company_id == company_id, User.active.is_(True),
                                 User.role.in_(PARTNER_ROLES)))}
    rows, groups = [], {}
    date_errors: dict[date, str | None] = {}
    for number, values in enumerate(table[1:], start=2):
        if not any(str(v if v is not None else "").strip() for v in values):
            continue
        row = Row(number)
        row.invoice_number = str(_value(values, index, "invoice_number") or "").strip()[:64]
        row.invoice_date = parse_date(_value(values, index, "invoice_date"))
        row.seller_email = _text(values, index, "seller_email", 254).lower()
        row.customer_name = _text(values, index, "customer_name", 200)
        row.customer_inn = normalize_inn(_text(values, index, "customer_inn", 20))
        row.sku = _text(values, index, "sku", 64)
        row.quantity = parse_quantity(_value(values, index, "quantity"))
        row.unit_price_kopecks = _money(_value(values, index, "unit_price"))
        row.lead = _text(values, index, "lead", 100) if "lead" in index else ""
        _check_row(row, products, sellers, date_errors)
        rows.append(row)
        if row.invoice_number and row.invoice_date and row.seller_email:
            external_id = _external_id(row)
            group = groups.get(external_id)
            if group is None:
                group = groups[external_id] = Group(external_id, [])
            group.rows.append(row)
            row.group = group
    if not rows:
        raise DomainError(_l("The file has no rows under its header."), field="file")
    _check_groups(list(groups.values()), company_id)
    return Report(rows, list(groups.values()))


def _check_row(row: Row, products: dict, sellers: set, date_errors: dict) -> None:
    errors = row.errors
    if not row.invoice_number:
        errors.append(str(_l("no invoice number")))
    if row.invoice_date is None:
        errors.append(str(_l("no date, or not a date (DD.MM.YYYY)")))
    else:
        if row.invoice_date not in date_errors:
            try:
                claims.check_invoice_date(row.invoice_date)
                date_errors[row.invoice_date] = None
            except DomainError as exc:
                date_errors[row.invoice_date] = str(exc.message)
        if date_errors[row.invoice_date]:
            errors.append(date_errors[row.invoice_date])
    if not row.seller_email:
        errors.append(str(_l("no seller")))
    elif row.seller_email not in sellers:
        errors.append(str(_l("no active participant of the company has the e-mail %(email)s", email=row.seller_email)))
    if not row.customer_name:
        errors.append(str(_l("no customer")))
    if row.customer_inn and not is_valid_inn(row.customer_inn):
        errors.append(str(_l("the customer INN is not valid")))
    if not row.sku:
        errors.append(str(_l("no SKU")))
    elif row.sku not in products:
        errors.append(str(_l("the SKU %(sku)s is not in the catalogue", sku=row.sku)))
    elif not products[row.sku]:
        errors.append(str(_l("the SKU %(sku)s is no longer in the program", sku=row.sku)))
    if row.quantity is None:
        errors.append(str(_l("the quantity is not a whole number from 1 to 100,000")))
    if row.unit_price_kopecks is None or row.unit_price_kopecks <= 0:
        errors.append(str(_l("the price is not a positive amount")))


def _check_groups(groups: list[Group], company_id: int) -> None:
    known = set()
    ids = [g.external_id for g in groups]
    for start in range(0, len(ids), 500):
        known.update(db.session.scalars(select(ClaimReference.external_id).where(
            ClaimReference.company_id == company_id, ClaimReference.external_id.in_(ids[start:start + 500]))))
    registered = _registered_claims(groups, company_id, known)
    sellers = {user.email: user for user in db.session.scalars(select(User).where(User.company_id == company_id))}
    for group in groups:
        group.exists = group.external_id in known
        if len(group.rows) > MAX_LINES_PER_CLAIM:
            group.errors.append(str(_l("more than %(n)s lines in one invoice", n=MAX_LINES_PER_CLAIM)))
        _check_customer(group)
        if not group.exists:
            _check_lead(group, company_id, sellers.get(group.rows[0].seller_email))
        first = group.rows[0]
        for claim in [] if group.exists else registered.get(
                (claims.invoice_key(first.invoice_number), first.invoice_date), []):
            group.errors.append(str(_l(
                "the invoice is already registered: sale №%(id)s of %(seller)s (%(status)s)", id=claim.id,
                seller=claim.user.email, status=claim.status_label)))


def _check_lead(group: Group, company_id: int, seller: User | None) -> None:
    """The lead an invoice names (one per invoice), checked as the claim form checks it: a lead of the seller's
    company on the invoice date, whose window includes the invoice date. Naming none, the invoice is linked as the
    form links it: to the company's lead holding the customer's INN, if any. `seller`: None when unknown (the
    row already says so)."""
    named = {row.lead for row in group.rows if row.lead}
    first = group.rows[0]
    if seller is None:
        return
    if not named:
        if first.customer_inn:
            group.lead_id = resolve_claim_lead(seller, None, first.customer_inn, first.invoice_date)
        return
    if len(named) > 1:
        group.errors.append(str(_l("the rows of one invoice name different leads: %(leads)s",
                                   leads=", ".join(sorted(named)))))
        return
    text = named.pop()
    try:
        lead_id = int(text) if text.isdigit() and len(text) < 10 else named_lead(company_id, {"lead_external_id": text})
        group.lead_id = resolve_claim_lead(seller, lead_id, first.customer_inn, first.invoice_date)
    except DomainError as exc:
        group.errors.append(str(exc.message))


def _check_customer(group: Group) -> None:
    """One invoice has one customer: rows of the same invoice naming another one are a conflict, not merged."""
    first = group.rows[0]
    identity = (" ".join(first.customer_name.lower().split()), first.customer_inn)
    others = [row for row in group.rows[1:]
              if (" ".join(row.customer_name.lower().split()), row.customer_inn) != identity]
    if others:
        group.errors.append(str(_l(
            "rows %(rows)s of this invoice name another customer (%(other)s) than row %(first)s (%(customer)s)",
            rows=", ".join(str(row.number) for row in others), other=others[0].customer_name or "—",
            first=first.number, customer=first.customer_name or "—")))


def _registered_claims(groups: list[Group], company_id: int, imported: set) -> dict:
    """Claims of the company's invoices made by the form or the API (not by an earlier import of the same rows),
    by (invoice number key, invoice date)."""
    company = db.session.get(PartnerCompany, company_id)
    keys = sorted({claims.invoice_key(g.rows[0].invoice_number) for g in groups if g.external_id not in imported})
    if company is None or not keys:
        return {}
    found: dict = {}
    for start in range(0, len(keys), 500):
        query = select(Claim).options(selectinload(Claim.user)).where(
            Claim.seller_inn == company.inn, Claim.invoice_number_key.in_(keys[start:start + 500]),
            Claim.status != REJECTED).order_by(Claim.id)
        for claim in db.session.scalars(query):
            found.setdefault((claim.invoice_number_key, claim.invoice_date), []).append(claim)
    return found


def import_file(filename: str, content: bytes, company_id: int, plan: str | None = None) -> tuple[Report, int]:
    """Make the claims of every valid invoice, all or none: (report, claims made). Flushes, never commits.

    Raises DomainError when the check now gives other claims than the report the person confirmed (the file,
    the catalogue or the people changed): the caller rolls back, so nothing is half-imported.
    """
    report = check_file(filename, content, company_id)
    if plan is not None and plan != report.plan:
        raise DomainError(_l("The file's check has changed since you saw it (products, people or claims changed): "
                             "check the file again."), field="file")
    return report, write_drafts(company_id, report.valid_groups)


def write_drafts(company_id: int, groups: list[Group]) -> int:
    """Write checked invoices as draft claims in bulk: the rows `claims.services.save_draft` would write.

    save_draft costs about 10 ms a claim through the ORM, too slow for a file of 20,000 invoices; every rule
    it applies was checked row by row above, and tests/api/test_import.py compares the two results column
    by column so that they cannot drift apart.
    """
    company = db.session.get(PartnerCompany, company_id)
    products = {p.sku: p for p in db.session.scalars(select(Product).where(Product.active.is_(True)))}
    sellers = dict(db.session.execute(select(User.email, User.id).where(User.company_id == company_id)).all())
    now = utcnow()
    made = 0
    for start in range(0, len(groups), 1000):
        chunk = groups[start:start + 1000]
        rows = []
        for group in chunk:
            first = group.rows[0]
            rows.append({
                "user_id": sellers[first.seller_email], "company_id": company_id, "seller_inn": company.inn,
                "invoice_number": first.invoice_number, "invoice_number_key": claims.invoice_key(first.invoice_number),
                "invoice_date": first.invoice_date, "customer_name": first.customer_name,
                "customer_inn": first.customer_inn or None, "status": DRAFT, "possible_duplicate": False,
                "total_kopecks": sum(r.quantity * r.unit_price_kopecks for r in group.rows), "created_at": now,
                "lead_id": group.lead_id,
            })
        ids = db.session.execute(insert(Claim).returning(Claim.id, sort_by_parameter_order=True), rows).scalars().all()
        lines, references = [], []
        for claim_id, group in zip(ids, chunk, strict=True):
            for position, row in enumerate(group.rows, start=1):
                product = products[row.sku]
                lines.append({"claim_id": claim_id, "position": position, "product_id": product.id,
                              "quantity": row.quantity, "unit_price_kopecks": row.unit_price_kopecks,
                              "unit_cost_kopecks": product.cost_kopecks})
            references.append({"company_id": company_id, "external_id": group.external_id, "claim_id": claim_id,
                               "created_at": now})
        db.session.execute(insert(ClaimLine), lines)
        db.session.execute(insert(ClaimReference), references)
        made += len(ids)
    return made
