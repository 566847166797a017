"""Who may see a lead, and the lists of leads."""

from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from portal.auth.models import PARTNER_ADMIN, STAFF_ROLES, User
from portal.extensions import db
from portal.leads.models import STATUS_LABELS, SUBMITTED, Lead


def can_view(user: User, lead: Lead) -> bool:
    """The author, their company's partner admin, and the program team; nobody else."""
    if user.role in STAFF_ROLES or lead.user_id == user.id:
        return True
    return user.role == PARTNER_ADMIN and user.company_id == lead.company_id



def _filter(query, *, status: str = "", q: str = "", people: bool = True):
    """`people`: load each lead's participant and company too (lists that show them; a person's own list does
    not)."""
    query = query.options(selectinload(Lead.channel))
    if people:
        query = query.options(selectinload(Lead.user), selectinload(Lead.company))
    if status in STATUS_LABELS:
        query = query.where(Lead.status == status)
    q = " ".join((q or "").split())[:100]
    if q:
        pattern = f"%{q}%"
        query = query.where(or_(Lead.customer_name.ilike(pattern), Lead.customer_inn.like(pattern),
                                Lead.id == int(q) if q.isdigit() and len(q) < 10 else False))
    return query


def my_leads(user: User, status: str = "", q: str = ""):
    query = select(Lead).where(Lead.user_id == user.id).order_by(Lead.submitted_at.desc(), Lead.id.desc())
    return _filter(query, status=status, q=q, people=False)


def company_leads(company_id: int, status: str = "", q: str = ""):
    query = select(Lead).where(Lead.company_id == company_id).order_by(Lead.submitted_at.desc(), Lead.id.desc())
    return _filter(query, status=status, q=q)


def review_queue(*, status: str = SUBMITTED, channel_id: int | None = None, company_id: int | None = None,
                 date_from: date | None = None, date_to: date | None = None, extension: bool = False,
                 q: str = "", sort: str = "oldest"):
    query = select(Lead)
    if channel_id:
        query = query.where(Lead.channel_id == channel_id)
    if company_id:
        query = query.where(Lead.company_id == company_id)
    if date_from:
        query = query.where(Lead.submitted_at >= datetime.combine(date_from, datetime.min.time()))
    if date_to:
        query = query.where(Lead.submitted_at < datetime.combine(date_to + timedelta(days=1), datetime.min.time()))
    if extension:
        query = query.where(Lead.extension_requested_at.is_not(None))
    order = {
        "oldest": (Lead.submitted_at.asc(), Lead.id.asc()),
        "newest": (Lead.submitted_at.desc(), Lead.id.desc()),
        "amount": (Lead.estimated_kopecks.desc(), Lead.id.asc()),
        "protection": (Lead.protected_until.asc(), Lead.id.asc()),
    }.get(sort, (Lead.submitted_at.asc(), Lead.id.asc()))
    return _filter(query.order_by(*order), status=status, q=q)


def count_awaiting_review() -> int:
    return db.session.scalar(select(func.count(Lead.id)).where(Lead.status == SUBMITTED)) or 0
