"""Who may see a claim, and the lists of claims."""

from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from portal.auth.models import PARTNER_ADMIN, STAFF_ROLES, User
from portal.claims.models import DRAFT, SUBMITTED, Claim
from portal.core.fields import as_id
from portal.extensions import db


def can_view(user: User, claim: Claim) -> bool:
    """The owner, their company's partner admin, and the program team; nobody else."""
    if user.role in STAFF_ROLES:
        return True
    if claim.user_id == user.id:
        return True
    return user.role == PARTNER_ADMIN and user.company_id == claim.company_id



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


#: Filters and orders other features add to the review queue (the risk score): refine(query, args) -> query.
QUEUE_REFINERS: list = []


def review_queue(*, status: str = SUBMITTED, company_id: int | None = None, date_from: date | None = None,
                 date_to: date | None = None, min_total: int | None = None, max_total: int | None = None,
                 flagged: bool = False, q: str = "", sort: str = "oldest", args: dict | None = None):
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
    query = query.order_by(*order)
    for refine in QUEUE_REFINERS:
        query = refine(query, args or {})
    return _filter(query, status=status, q=q)


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



def awaiting_review_count():
    """How many claims await review, as a select: the manager's dashboard reads it with its other counts at once."""
    return select(func.count(Claim.id)).where(Claim.status == SUBMITTED)


def count_awaiting_review() -> int:
    return db.session.scalar(awaiting_review_count()) or 0
