"""Sales claims: drafting, submitting, reviewing, approving into points, rejecting and reversing."""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, and_, cast, extract, func, literal, or_, select
from sqlalchemy.orm import selectinload

from portal.audit import services as audit
from portal.auth.models import PARTNER_ADMIN, PARTNER_ROLES, STAFF_ROLES, User
from portal.core import events
from portal.core.errors import DomainError, NotAllowed
from portal.core.fields import as_id
from portal.core.inn import is_valid_inn, normalize_inn
from portal.core.sql import compare_and_set
from portal.core.time import local_date, today, utcnow
from portal.extensions import db
from portal.leads.services import resolve_claim_lead
from portal.ledger import services as ledger
from portal.ledger.models import LedgerTransaction
from portal.partners.history import audience_on
from portal.partners.models import PENDING as COMPANY_PENDING
from portal.partners.models import REJECTED as COMPANY_REJECTED
from portal.products.models import Product
from portal.program.services import get_settings
from portal.rules import engine
from portal.rules.services import score

from .models import (
    APPROVED,
    DRAFT,
    REJECTED,
    REVERSED,
    STATUS_LABELS,
    SUBMITTED,
    TRANSITIONS,
    Claim,
    ClaimAward,
    ClaimEvent,
    ClaimLine,
)


@dataclass
class LineData:
    sku: str
    quantity: int | None
    unit_price_kopecks: int | None


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


# --- who may see and do what ---------------------------------------------------------------------


def can_view(user: User, claim: Claim) -> bool:
    """The owner, their company's partner admin, and the program team; nobody else."""
    if user.role in STAFF_ROLES:
        return True
    if claim.user_id == user.id:
        return True
    return user.role == PARTNER_ADMIN and user.company_id == claim.company_id


def _require_owner_draft(claim: Claim, user: User) -> None:
    if claim.user_id != user.id:
        raise NotAllowed(_l("Only the author can change this claim."))
    if claim.status != DRAFT:
        raise DomainError(_l("A submitted claim cannot be changed."))


# --- drafting --------------------------------------------------------------------------------------


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


def _resolve_lines(lines: list[LineData]) -> list[tuple[Product, int, int]]:
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
        resolved.append((product, line.quantity, line.unit_price_kopecks))
    return resolved


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

    if claim is None:
        claim = Claim(user_id=user.id, company_id=user.company_id, seller_inn=user.company.inn, status=DRAFT)
        db.session.add(claim)
    claim.invoice_number = number
    claim.invoice_number_key = invoice_key(number)
    claim.invoice_date = data.invoice_date
    claim.customer_name = customer
    claim.customer_inn = customer_inn
    claim.lead_id = lead_id
    claim.lines.clear()
    db.session.flush()
    for position, (product, quantity, price) in enumerate(lines, start=1):
        claim.lines.append(ClaimLine(position=position, product_id=product.id, quantity=quantity,
                                     unit_price_kopecks=price, unit_cost_kopecks=product.cost_kopecks))
    claim.total_kopecks = sum(quantity * price for _, quantity, price in lines)
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


def company_not_admitted(claim: Claim):
    """Why the claim's company keeps it from being approved (awaiting approval, or not admitted), or None.

    Staff of a company awaiting approval may save and submit sales; they wait in the queue until the company is
    approved. A rejected company's sales can only be rejected."""
    company = claim.company
    if company.status == COMPANY_PENDING:
        return _l("The company %(company)s is awaiting approval by the program team: its sales can be approved once "
                  "the company is approved.", company=company.name)
    if company.status == COMPANY_REJECTED:
        return _l("The company %(company)s was not admitted to the program: its sales cannot be approved.",
                  company=company.name)
    return None


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
    return claim


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


# --- review --------------------------------------------------------------------------------------


def claim_input(claim: Claim) -> engine.ClaimInput:
    return engine.ClaimInput(
        audience=audience_on(claim.user_id, claim.invoice_date), company_id=claim.company_id,
        invoice_date=claim.invoice_date,
        lines=tuple(engine.LineInput(line.product_id, line.product.category, line.quantity,
                                     line.unit_price_kopecks, line.unit_cost_kopecks) for line in claim.lines),
    )


def expected_awards(claim: Claim) -> list[engine.Award]:
    return score(claim_input(claim), claim.user_id)


def _move(claim: Claim, source: str, target: str, actor: User, **values) -> None:
    """Change the state only if nobody changed it meanwhile: of two managers, one wins, the other is told."""
    assert target in TRANSITIONS[source], f"claims never go from {source} to {target}"
    if not compare_and_set(claim, "status", source, status=target, decided_at=utcnow(), decided_by_id=actor.id,
                           **values):
        raise DomainError(_l("Claim #%(id)s is already %(status)s.", id=claim.id,
                             status=str(STATUS_LABELS[claim.status]).lower()))


def _check_reviewer(claim: Claim, actor: User) -> None:
    if actor.role not in STAFF_ROLES:
        raise NotAllowed(_l("Only the program team reviews claims."))
    if claim.user_id == actor.id:
        raise NotAllowed(_l("Nobody can review their own claim."))


def approve_claim(claim: Claim, actor: User) -> Claim:
    """Approve a submitted claim and credit its points through the rules, exactly once. A claim whose company is
    not approved (yet) is refused: earning opens with the company's approval."""
    _check_reviewer(claim, actor)
    if claim.status == SUBMITTED and (problem := company_not_admitted(claim)) is not None:
        raise DomainError(problem)
    _move(claim, SUBMITTED, APPROVED, actor)
    ledger.lock_participant(claim.user_id)  # period caps and the first-sale bonus read earlier awards
    awards = expected_awards(claim)
    total = engine.total_points(awards)
    now = utcnow()
    for award in awards:
        db.session.add(ClaimAward(claim_id=claim.id, rule_id=award.rule_id, user_id=claim.user_id,
                                  points=award.points, details={"kind": award.kind, "lines": award.details},
                                  awarded_at=now))
    if total > 0:
        ledger.earn(claim.user_id, total, key=f"claim:{claim.id}:approved", source_type="claim",
                    source_id=claim.id, actor_id=actor.id, params={"invoice": claim.invoice_number})
    claim.points = total
    db.session.add(ClaimEvent(claim_id=claim.id, status=APPROVED, actor_id=actor.id))
    _first_sale_bonus(claim, actor)
    db.session.flush()
    events.claim_approved.send(claim, actor=actor)
    return claim


def _first_sale_bonus(claim: Claim, actor: User) -> None:
    bonus = get_settings().first_sale_bonus
    if bonus <= 0:
        return
    earlier = db.session.scalar(
        select(func.count(Claim.id)).where(Claim.user_id == claim.user_id, Claim.id != claim.id,
                                           Claim.status.in_([APPROVED, REVERSED]))
    )
    if earlier == 0:
        ledger.earn(claim.user_id, bonus, key=f"first-sale:{claim.user_id}", source_type="first_sale",
                    source_id=claim.id, actor_id=actor.id)


def reject_claim(claim: Claim, actor: User, reason: str) -> Claim:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give the reason: the participant will see it."), field="reason")
    _check_reviewer(claim, actor)
    _move(claim, SUBMITTED, REJECTED, actor, rejection_reason=reason[:500])
    db.session.add(ClaimEvent(claim_id=claim.id, status=REJECTED, actor_id=actor.id, note=reason[:500]))
    db.session.flush()
    audit.record(audit.CLAIM_REJECTED, actor=actor, object_type="claim", object_id=claim.id,
                 changes={"reason": reason[:500], "participant": claim.user_id})
    return claim


def reverse_claim(claim: Claim, actor: User, reason: str) -> Claim:
    """A return: the claim's points are clawed back through the ledger (a debt if they were spent)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give the reason: the participant will see it."), field="reason")
    if actor.role not in STAFF_ROLES:
        raise NotAllowed(_l("Only the program team reviews claims."))
    _move(claim, APPROVED, REVERSED, actor)
    posted = ledger.find_transaction(f"claim:{claim.id}:approved")
    if posted is not None:
        ledger.reverse_transaction(posted, actor_id=actor.id, reason=reason[:500], key=f"claim:{claim.id}:reversed")
    db.session.add(ClaimEvent(claim_id=claim.id, status=REVERSED, actor_id=actor.id, note=reason[:500]))
    db.session.flush()
    events.claim_reversed.send(claim, actor=actor)
    return claim


# --- lists ---------------------------------------------------------------------------------------


def my_claims(user: User, status: str = "", q: str = ""):
    query = select(Claim).where(Claim.user_id == user.id).order_by(Claim.created_at.desc(), Claim.id.desc())
    # Not loaded with the list: the seller is the reader and the company almost always theirs, both already in
    # the session, where a claim's many-to-one references are looked up without a query.
    return _filter(query, status=status, q=q, load_people=False)


def company_claims(company_id: int, status: str = "", q: str = ""):
    query = select(Claim).where(Claim.company_id == company_id, Claim.status != DRAFT)
    return _filter(query.order_by(Claim.submitted_at.desc(), Claim.id.desc()), status=status, q=q)


def next_to_review(after: Claim) -> int | None:
    """The id of the sale waiting longest for review other than `after`: where a reviewer goes next."""
    return db.session.scalar(select(Claim.id).where(Claim.status == SUBMITTED, Claim.id != after.id)
                             .order_by(Claim.submitted_at.asc(), Claim.id.asc()).limit(1))


def review_queue(*, status: str = SUBMITTED, company_id: int | None = None, date_from: date | None = None,
                 date_to: date | None = None, min_total: int | None = None, max_total: int | None = None,
                 flagged: bool = False, q: str = "", sort: str = "oldest"):
    query = select(Claim).where(Claim.status != DRAFT)
    if company_id:
        query = query.where(Claim.company_id == company_id)
    if date_from:
        query = query.where(Claim.invoice_date >= date_from)
    if date_to:
        query = query.where(Claim.invoice_date <= date_to)
    if min_total is not None:
        query = query.where(Claim.total_kopecks >= min_total)
    if max_total is not None:
        query = query.where(Claim.total_kopecks <= max_total)
    if flagged:
        query = query.where(Claim.possible_duplicate.is_(True))
    order = {
        "oldest": (Claim.submitted_at.asc(), Claim.id.asc()),
        "newest": (Claim.submitted_at.desc(), Claim.id.desc()),
        "amount": (Claim.total_kopecks.desc(), Claim.id.asc()),
    }.get(sort, (Claim.submitted_at.asc(), Claim.id.asc()))
    return _filter(query.order_by(*order), status=status, q=q)


def _filter(query, *, status: str, q: str, load_people: bool = True):
    if load_people:
        query = query.options(selectinload(Claim.user), selectinload(Claim.company))  # the lists show both
    if status:
        query = query.where(Claim.status == status)
    q = (q or "").strip()
    if q:
        query = query.where(or_(Claim.invoice_number.ilike(f"%{q}%"), Claim.customer_name.ilike(f"%{q}%"),
                                and_(Claim.id == as_id(q)) if as_id(q) else False))
    return query


def birthday_bonuses(now=None) -> int:
    """The birthday job: today's birthdays get the bonus once a year (29 February counts on 28 in other years)."""
    import calendar

    day = local_date(now or utcnow())  # birthdays are days of the program's calendar
    bonus = get_settings().birthday_bonus
    if bonus <= 0:
        return 0
    days = [day.day] + ([29] if day.month == 2 and day.day == 28 and not calendar.isleap(day.year) else [])
    # Only those still due, in one query: today's birthdays without this year's bonus (its idempotency key).
    key = literal("birthday:") + cast(User.id, String) + literal(f":{day.year}")
    due = db.session.scalars(
        select(User.id).where(
            User.role.in_(PARTNER_ROLES), User.active.is_(True),
            extract("month", User.birthday) == day.month, extract("day", User.birthday).in_(days),
            ~select(LedgerTransaction.id).where(LedgerTransaction.idempotency_key == key).exists(),
        ).order_by(User.id)
    ).all()
    for person_id in due:
        ledger.earn(person_id, bonus, key=f"birthday:{person_id}:{day.year}", source_type="birthday",
                    source_id=person_id)
        db.session.commit()
    return len(due)


def count_awaiting_review() -> int:
    return db.session.scalar(select(func.count(Claim.id)).where(Claim.status == SUBMITTED)) or 0
