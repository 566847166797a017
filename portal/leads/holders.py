"""Who holds a customer. A lead holds its customer (by INN) while it awaits review, while it is qualified, and once
won until the later of its protection date and the won period after the win (lead settings); rejected, lost and
expired leads hold nothing. The holding lead carries the INN in `Lead.holder_inn`, unique in the database, so of two
requests registering or qualifying the same customer at once the database lets one through. Also: what the second
registrant is told, and the check for customers held twice (`lead_holder_problems`, for `portal check`)."""

from datetime import datetime, timedelta
from itertools import groupby

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select

from portal.core.time import local_date, utcnow
from portal.extensions import db

from .models import QUALIFIED, SUBMITTED, WON, Lead


def holding_by_state(now: datetime):
    """SQL: the leads that should hold their customer at `now`, read from their state alone."""
    return or_(Lead.status.in_((SUBMITTED, QUALIFIED)), and_(Lead.status == WON, Lead.protected_until > now))


def won_protection_end(lead: Lead, now: datetime, days: int) -> datetime:
    """The protection date of a lead won at `now`, held `days` after the win: a win never shortens it."""
    end = now + timedelta(days=days)
    return max(end, lead.protected_until) if lead.protected_until else end


def holder_of(inn: str) -> Lead | None:
    return db.session.scalar(select(Lead).where(Lead.holder_inn == inn))


def _date(moment: datetime) -> str:
    return local_date(moment).strftime("%d.%m.%Y")


def conflict_reason(holder: Lead, company_id: int) -> str:
    """Why a lead for `holder`'s customer is refused, in the reader's language: a colleague of the same company is
    named with the lead; another partner stays anonymous. A lead awaiting review is not called protected."""
    pending = holder.status == SUBMITTED
    if holder.company_id == company_id:
        if pending:
            return str(_l("The customer is already registered by your colleague %(name)s (lead #%(id)s) and is "
                          "awaiting review.", name=holder.user.full_name, id=holder.id))
        return str(_l("The customer is already registered by your colleague %(name)s (lead #%(id)s) and protected "
                      "until %(date)s.", name=holder.user.full_name, id=holder.id, date=_date(holder.protected_until)))
    if pending:
        return str(_l("The customer is already registered by another partner and is awaiting review."))
    return str(_l("The customer is already registered and protected by another partner until %(date)s.",
                  date=_date(holder.protected_until)))


def conflict_notice(lead: Lead) -> str:
    """What the form and the API tell the person whose lead was refused as a conflict."""
    if lead.conflict_lead is None:
        return str(_l("This customer is already registered and protected by another partner. Your lead #%(id)s is "
                      "kept as rejected; the program team sees both.", id=lead.id))
    return " ".join((conflict_reason(lead.conflict_lead, lead.company_id),
                     str(_l("Your lead #%(id)s is kept as rejected; the program team sees both.", id=lead.id))))


def lead_holder_problems(now: datetime | None = None) -> list[str]:
    """Customers (by INN) that more than one lead holds at once, by the leads' states: one line each, in the
    reader's language. Empty when every customer has at most one holder."""
    now = now or utcnow()
    holding = holding_by_state(now)
    twice = select(Lead.customer_inn).where(holding).group_by(Lead.customer_inn).having(func.count(Lead.id) > 1)
    rows = db.session.execute(select(Lead.customer_inn, Lead.id).where(holding, Lead.customer_inn.in_(twice))
                              .order_by(Lead.customer_inn, Lead.id)).all()
    problems = []
    for inn, group in groupby(rows, key=lambda row: row.customer_inn):
        ids = [row.id for row in group]
        problems.append(_l("The customer with INN %(inn)s is held by %(n)s leads at once: %(leads)s.", inn=inn,
                          n=len(ids), leads=", ".join(f"#{i}" for i in ids)))
    return problems
