"""Sales from the review queue as a table, with the queue's filters: a row per claim line (product, quantity,
price, amount) with its claim's status, points, participant, company, reviewer and dates. Immediate when small,
written by the worker when large. Higher features add columns of their own through `SALES_COLUMNS` (the risk
score), connected when the app starts: claims never import them."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import islice

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from portal.auth.models import User
from portal.claims.models import STATUS_LABELS, Claim, ClaimLine
from portal.claims.services import review_queue
from portal.core.exports import DATE, DATETIME, INT, MONEY, Column, Table, export_builder
from portal.core.time import utcnow
from portal.extensions import db
from portal.partners.models import PartnerCompany
from portal.products.models import Product

ORDER = {
    "oldest": (Claim.submitted_at.asc(), Claim.id.asc()),
    "newest": (Claim.submitted_at.desc(), Claim.id.desc()),
    "amount": (Claim.total_kopecks.desc(), Claim.id.asc()),
}


@dataclass(frozen=True)
class ExtraColumns:
    """Columns a higher feature adds to the sales export: `header()` gives them in the reader's language,
    `values(claim_ids)` a tuple per claim (one call per batch of rows; a claim it does not know gets empty cells)."""

    header: Callable[[], list[Column]]
    values: Callable[[list[int]], dict[int, tuple]]


#: Filled at start by the features above claims (portal/fraud adds "Risk" and "Risk signals").
SALES_COLUMNS: list[ExtraColumns] = []


def _with_extra_columns(rows: Iterable[tuple], extras: list[ExtraColumns], widths: list[int]) -> Iterator[tuple]:
    """Each row (claim id first) followed by the extra columns' values, read once per 1,000 rows."""
    rows = iter(rows)
    while batch := list(islice(rows, 1000)):
        claim_ids = sorted({row[0] for row in batch})
        found = [extra.values(claim_ids) for extra in extras]
        for row in batch:
            yield row + tuple(value for values, width in zip(found, widths, strict=True)
                              for value in values.get(row[0], ("",) * width))


def queue_params(filters: dict) -> dict:
    """The review queue's filters (review_queue's arguments) as JSON for the worker."""
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in filters.items() if v not in (None, "", False)}


@export_builder("claims-sales")
def sales_table(params: dict) -> Table:
    """params: review_queue's filters (status, company_id, date_from, date_to, min_total, max_total, flagged, q,
    sort), dates as ISO text."""
    filters = {k: date.fromisoformat(v) if k in ("date_from", "date_to") else v for k, v in params.items()}
    filters.setdefault("status", "")
    claims = review_queue(**filters).subquery()
    reviewer = aliased(User)
    query = (select(Claim.id, Claim.invoice_number, Claim.invoice_date, Claim.customer_name, Claim.customer_inn,
                    User.full_name, User.email, PartnerCompany.name, PartnerCompany.inn, Claim.status,
                    Product.sku, Product.name, ClaimLine.quantity, ClaimLine.unit_price_kopecks,
                    Claim.total_kopecks, Claim.points, Claim.possible_duplicate, Claim.submitted_at,
                    Claim.decided_at, reviewer.full_name, Claim.rejection_reason)
             .join(claims, claims.c.id == Claim.id)
             .join(ClaimLine, ClaimLine.claim_id == Claim.id).join(Product, Product.id == ClaimLine.product_id)
             .join(User, User.id == Claim.user_id).join(PartnerCompany, PartnerCompany.id == Claim.company_id)
             .outerjoin(reviewer, reviewer.id == Claim.decided_by_id)
             .order_by(*ORDER.get(filters.get("sort"), ORDER["oldest"]), ClaimLine.position))
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    yes, no = _("yes"), _("no")

    def rows():
        for (claim_id, number, invoice_date, customer, customer_inn, seller, email, company, company_inn, status,
             sku, product, quantity, price, claim_total, points, duplicate, submitted_at, decided_at, reviewed_by,
             reason) in db.session.execute(query.execution_options(yield_per=1000)):
            yield (claim_id, number, invoice_date, customer, customer_inn, seller, email, company, company_inn,
                   str(STATUS_LABELS[status]), sku, product, quantity, price, quantity * price, claim_total, points,
                   yes if duplicate else no, submitted_at, decided_at, reviewed_by, reason)

    extras = list(SALES_COLUMNS)
    extra_header = [extra.header() for extra in extras]
    return Table(filename=f"sales-{utcnow():%Y%m%d}", sheet_title=_("Sales"), header=[
        Column(_("Claim number"), INT), Column(_("Invoice number")), Column(_("Invoice date"), DATE),
        Column(_("Customer")), Column(_("Customer INN")), Column(_("Participant")), Column(_("Email")),
        Column(_("Company")), Column(_("Company INN")), Column(_("Status")), Column(_("SKU")), Column(_("Product")),
        Column(_("Quantity"), INT), Column(_("Price, RUB"), MONEY), Column(_("Line amount, RUB"), MONEY),
        Column(_("Claim amount, RUB"), MONEY), Column(_("Claim points"), INT), Column(_("Possible duplicate")),
        Column(_("Submitted at"), DATETIME), Column(_("Decided"), DATETIME), Column(_("Reviewer")),
        Column(_("Rejection reason")), *(column for header in extra_header for column in header)],
        rows=_with_extra_columns(rows(), extras, [len(header) for header in extra_header]) if extras else rows(),
        total=total)
