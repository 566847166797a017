"""Drafting a claim and sending it for review: the lines, the invoice rules, the scan."""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.auth.models import PARTNER_ROLES, User
from portal.claims.models import DRAFT, SUBMITTED, Claim, ClaimEvent, ClaimLine
from portal.claims.upd.mapping import remember_articles
from portal.core import events
from portal.core.errors import DomainError, NotAllowed
from portal.core.inn import is_valid_inn, normalize_inn
from portal.core.time import today, utcnow
from portal.extensions import db
from portal.leads.services import resolve_claim_lead
from portal.partners.history import company_on
from portal.partners.models import REJECTED as COMPANY_REJECTED
from portal.partners.models import PartnerCompany
from portal.products.models import Product
from portal.program.services import get_settings


@dataclass
class LineData:
    sku: str
    quantity: int | None
    unit_price_kopecks: int | None
    article: str = ""  # the seller's own article of a line filled from a UPD: learned when mapped by hand


@dataclass
class ClaimData:
    invoice_number: str
    invoice_date: date | None
    customer_name: str
    customer_inn: str
    lines: list[LineData]
    lead_id: str | int | None = None  # the lead the sale closes, checked by portal.leads


def invoice_key(number: str) -> str:
    return "".join((number or "").split()).upper()



def _require_owner_draft(claim: Claim, user: User) -> None:
    if claim.user_id != user.id:
        raise NotAllowed(_l("Only the author can change this claim."))
    if claim.status != DRAFT:
        raise DomainError(_l("A submitted claim cannot be changed."))



def line_product_problem(number: int, sku: str):
    """What is wrong with the product typed on line `number`, in the words the claim's check uses; None if
    the line names an active product or names none yet. The form asks as you type."""
    sku = (sku or "").split(" — ")[0].strip()
    if not sku:
        return None
    product = db.session.scalar(select(Product).where(Product.sku == sku))
    if product is None:
        return _l("Line %(n)s: choose a product from the catalogue.", n=number)
    if not product.active:
        return _l("Line %(n)s: %(product)s is no longer in the program.", n=number, product=product.name)
    return None


def _resolve_lines(lines: list[LineData]) -> list[tuple[Product, int, int, str]]:
    resolved = []
    for number, line in enumerate(lines, start=1):
        if not (line.sku or "").strip() and not line.quantity and not line.unit_price_kopecks:
            continue  # an empty row of the form
        sku = (line.sku or "").split(" — ")[0].strip()
        if not sku:
            raise DomainError(_l("Line %(n)s: choose a product from the catalogue.", n=number), field="lines")
        problem = line_product_problem(number, sku)
        if problem:
            raise DomainError(problem, field="lines")
        product = db.session.scalar(select(Product).where(Product.sku == sku))
        if not line.quantity or line.quantity <= 0:
            raise DomainError(_l("Line %(n)s: the quantity must be a positive whole number.", n=number),
                              field="lines")
        if not line.unit_price_kopecks or line.unit_price_kopecks <= 0:
            raise DomainError(_l("Line %(n)s: the price must be positive.", n=number), field="lines")
        resolved.append((product, line.quantity, line.unit_price_kopecks, line.article or ""))
    return resolved


def company_of_sale(user: User, invoice_date: date) -> PartnerCompany:
    """The company a sale of `invoice_date` belongs to: the seller's on that day (the program's rule), or their
    current one for a day before they joined any."""
    company_id = company_on(user.id, invoice_date) or user.company_id
    # By id, not `user.company`: right after a move in the same session that relationship still names the old one.
    return db.session.get(PartnerCompany, company_id)


def save_draft(user: User, data: ClaimData, claim: Claim | None = None,
               scan: tuple[str, str, str] | None = None) -> Claim:
    """Create or update a draft. Lines are checked as they are saved; the invoice rules wait for submit."""
    if user.role not in PARTNER_ROLES or user.company is None:
        raise NotAllowed(_l("Only partner staff register sales."))
    if claim is not None:
        _require_owner_draft(claim, user)
    number = (data.invoice_number or "").strip()
    if not number:
        raise DomainError(_l("Enter the invoice number."), field="invoice_number")
    if data.invoice_date is None:
        raise DomainError(_l("Enter the invoice date."), field="invoice_date")
    customer = " ".join((data.customer_name or "").split())
    if not customer:
        raise DomainError(_l("Enter the customer."), field="customer_name")
    customer_inn = normalize_inn(data.customer_inn) or None
    if customer_inn and not is_valid_inn(customer_inn):
        raise DomainError(_l("Enter a valid INN: 10 or 12 digits with a correct check digit."), field="customer_inn")
    lines = _resolve_lines(data.lines)
    if not lines:
        raise DomainError(_l("Add at least one line: product, quantity and price."), field="lines")
    lead_id = resolve_claim_lead(user, data.lead_id, customer_inn, data.invoice_date)

    company = company_of_sale(user, data.invoice_date)
    if claim is None:
        claim = Claim(user_id=user.id, status=DRAFT)
        db.session.add(claim)
    # The sale is the company's that issued the invoice: where the seller worked on the invoice date (a seller who
    # moved since claims an earlier sale for the old company), so KPI, contests and the duplicate check agree.
    claim.company_id, claim.seller_inn = company.id, company.inn
    claim.invoice_number = number
    claim.invoice_number_key = invoice_key(number)
    claim.invoice_date = data.invoice_date
    claim.customer_name = customer
    claim.customer_inn = customer_inn
    claim.lead_id = lead_id
    claim.lines.clear()
    db.session.flush()
    for position, (product, quantity, price, _article) in enumerate(lines, start=1):
        claim.lines.append(ClaimLine(position=position, product_id=product.id, quantity=quantity,
                                     unit_price_kopecks=price, unit_cost_kopecks=product.cost_kopecks))
    claim.total_kopecks = sum(quantity * price for _, quantity, price, _article in lines)
    remember_articles(user, company.id, [(article, product) for product, _, _, article in lines if article])
    if scan is not None:
        claim.scan_path, claim.scan_filename, claim.scan_mimetype = scan
    db.session.flush()
    return claim


def twins(claim: Claim) -> list[Claim]:
    """Other claims of the same invoice (seller INN, number and date), in any company."""
    return list(db.session.scalars(
        select(Claim).where(
            Claim.id != claim.id, Claim.status != DRAFT, Claim.seller_inn == claim.seller_inn,
            Claim.invoice_number_key == claim.invoice_number_key, Claim.invoice_date == claim.invoice_date,
        ).order_by(Claim.id)
    ))


def check_invoice_date(invoice_date: date) -> None:
    if invoice_date > today():
        raise DomainError(_l("The invoice date cannot be in the future."), field="invoice_date")
    window = get_settings().claim_window_days
    if invoice_date < today() - timedelta(days=window):
        raise DomainError(
            _l("Sales older than %(days)s days cannot be claimed.", days=window), field="invoice_date"
        )



def submit_claim(claim: Claim, user: User) -> Claim:
    """Send a draft for review. A possible duplicate is flagged for the manager, not refused."""
    _require_owner_draft(claim, user)
    if claim.company.status == COMPANY_REJECTED:
        raise DomainError(_l("Your company was not admitted to the program: sales cannot be sent for review."))
    if not claim.lines:
        raise DomainError(_l("Add at least one line: product, quantity and price."), field="lines")
    if not claim.scan_path:
        raise DomainError(_l("Attach the scan of the invoice."), field="scan")
    check_invoice_date(claim.invoice_date)
    inactive = [line.product.name for line in claim.lines if not line.product.active]
    if inactive:
        raise DomainError(_l("No longer in the program: %(products)s.", products=", ".join(inactive)), field="lines")
    found = twins(claim)
    claim.status = SUBMITTED
    claim.submitted_at = utcnow()
    claim.possible_duplicate = bool(found)
    for twin in found:
        twin.possible_duplicate = True
    db.session.add(ClaimEvent(claim_id=claim.id, status=SUBMITTED, actor_id=user.id))
    db.session.flush()
    events.claim_submitted.send(claim, actor=user)
    return claim


@dataclass
class SavedClaim:
    claim: Claim
    not_submitted: str | None = None  # why a sale asked to be submitted stayed a draft


def save_claim(user: User, data: ClaimData, claim: Claim | None = None, *,
               scan: tuple[str, str, str] | None = None, submit: bool = False) -> SavedClaim:
    """The claim form: save the draft and, when asked, send it for review. The draft is kept whatever the submit
    step says: a sale that cannot be submitted yet stays a saved draft, and the result says why."""
    claim = save_draft(user, data, claim, scan=scan)
    if not submit:
        return SavedClaim(claim)
    try:
        with db.session.begin_nested():  # a refused submission undoes itself, never the draft
            submit_claim(claim, user)
    except DomainError as exc:
        return SavedClaim(claim, not_submitted=exc.message)
    return SavedClaim(claim)


def attach_scan(claim: Claim, user: User, scan: tuple[str, str, str]) -> Claim:
    """Attach the invoice scan to the author's draft, e.g. one made from the API or a file import."""
    _require_owner_draft(claim, user)
    claim.scan_path, claim.scan_filename, claim.scan_mimetype = scan
    db.session.flush()
    return claim


def delete_draft(claim: Claim, user: User) -> None:
    _require_owner_draft(claim, user)
    db.session.delete(claim)
    db.session.flush()
