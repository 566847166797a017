"""Protection of a qualified lead's customer: extensions, reminders before the end, and the end."""

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select

from portal.auth.models import User
from portal.core.errors import DomainError, NotAllowed
from portal.core.sql import compare_and_set, insert_ignoring_duplicates
from portal.core.time import utcnow
from portal.extensions import db
from portal.leads.models import (
    EXPIRED,
    EXTENDED,
    EXTENSION_REQUESTED,
    QUALIFIED,
    RELEASED,
    REMINDED,
    WON,
    Lead,
    LeadReminder,
)
from portal.leads.notifications import send_reminder

from .settings import get_lead_settings
from .transitions import _event, _move, _require_staff


def request_extension(lead: Lead, user: User, note: str = "") -> Lead:
    if lead.user_id != user.id:
        raise NotAllowed(_l("Only the author can ask to extend the protection."))
    _check_extendable(lead)
    if lead.extension_requested_at is not None:
        raise DomainError(_l("The extension is already requested; the program team will answer."))
    lead.extension_requested_at = utcnow()
    _event(lead, EXTENSION_REQUESTED, user, (note or "").strip())
    db.session.flush()
    return lead


def _check_extendable(lead: Lead) -> None:
    if lead.status != QUALIFIED:
        raise DomainError(_l("Only the protection of a qualified lead can be extended."))
    limit = get_lead_settings().max_extensions
    if lead.extensions_used >= limit:
        raise DomainError(_l("The protection has been extended the most times allowed (%(n)s).", n=limit))


def extend_protection(lead: Lead, actor: User) -> Lead:
    """Move the end of protection by the set number of days; at most the set number of times."""
    _require_staff(actor)
    _check_extendable(lead)
    days = get_lead_settings().extension_days
    if not compare_and_set(lead, "extensions_used", lead.extensions_used, extensions_used=lead.extensions_used + 1,
                           protected_until=lead.protected_until + timedelta(days=days), extension_requested_at=None):
        raise DomainError(_l("Someone has just extended this lead. Open it again."))
    _event(lead, EXTENDED, actor)
    db.session.flush()
    return lead


# --- scheduled: reminders and the end of protection ----------------------------------------------


def expire_protection(now: datetime | None = None) -> int:
    """Free the customers of qualified and won leads whose protection has ended: a qualified lead expires, a won
    one stays won and lets its customer go. Commits lead by lead."""
    now = now or utcnow()
    due = list(db.session.scalars(select(Lead.id).where(
        or_(Lead.status == QUALIFIED, and_(Lead.status == WON, Lead.holder_inn.is_not(None))),
        Lead.protected_until <= now,
    ).order_by(Lead.id)))
    expired = 0
    for lead_id in due:
        lead = db.session.get(Lead, lead_id)
        if lead.status == QUALIFIED:
            try:
                _move(lead, QUALIFIED, EXPIRED, None, closed_at=now, holder_inn=None)
            except DomainError:
                db.session.rollback()
                continue
            _event(lead, EXPIRED, None)
        elif not compare_and_set(lead, "protected_until", lead.protected_until, holder_inn=None):
            db.session.rollback()  # extended or released meanwhile
            continue
        else:
            _event(lead, RELEASED, None)
        db.session.commit()
        expired += 1
    return expired


def send_protection_reminders(now: datetime | None = None) -> int:
    """Remind participants before their protection ends: each reminder once per lead and protection end."""
    now = now or utcnow()
    days = sorted(get_lead_settings().reminder_days or [])
    if not days:
        return 0
    horizon = now + timedelta(days=max(days))
    candidates = list(db.session.scalars(select(Lead).where(
        Lead.status == QUALIFIED, Lead.protected_until > now, Lead.protected_until <= horizon,
    ).order_by(Lead.id)))
    sent = 0
    for lead in candidates:
        due = [d for d in days if lead.protected_until - timedelta(days=d) <= now]
        already = set(db.session.scalars(select(LeadReminder.days_before).where(
            LeadReminder.lead_id == lead.id, LeadReminder.protected_until == lead.protected_until)))
        fresh = [d for d in due if d not in already]
        if not fresh:
            continue
        insert_ignoring_duplicates(LeadReminder, [
            {"lead_id": lead.id, "protected_until": lead.protected_until, "days_before": d, "sent_at": now}
            for d in fresh], ["lead_id", "protected_until", "days_before"])
        _event(lead, REMINDED, None)
        send_reminder(lead)  # into the outbox, in the same transaction as the reminder's record
        db.session.commit()
        sent += 1
    return sent
