"""Qualifying a lead with its fixed reward, rejecting it, and closing it won or lost."""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.auth.models import User
from portal.core import events
from portal.core.errors import DomainError, NotAllowed
from portal.core.time import utcnow
from portal.extensions import db
from portal.leads.holders import holder_of, won_protection_end
from portal.leads.models import (
    LOST,
    QUALIFIED,
    QUALIFIED_REWARD,
    REJECTED,
    SUBMITTED,
    WON,
    Lead,
    LeadAward,
    LeadRewardRule,
)
from portal.ledger import services as ledger
from portal.program.services import get_settings

from .registration import _same_customer
from .settings import _matching_rules, _rule_specificity, get_lead_settings
from .transitions import _event, _move, _require_staff


def max_points_per_lead() -> int | None:
    """The program's maximum cost per lead, in points at today's point value (rounded down)."""
    cap = get_lead_settings().max_cost_per_lead_kopecks
    return None if cap is None else cap // get_settings().point_value_kopecks


def qualified_reward(lead: Lead) -> tuple[int, LeadRewardRule | None, dict]:
    """The fixed reward for qualifying the lead: the most specific fixed rule for its channel and category
    (category beats channel, then the larger reward), capped by the maximum cost per lead."""
    rules = [r for r in _matching_rules(("fixed",), lead.channel_id)
             if r.category is None or r.category == lead.category]
    if not rules:
        return 0, None, {}
    rule = max(rules, key=lambda r: (*_rule_specificity(r), r.value, -r.id))
    uncapped = int(rule.value)
    cap = max_points_per_lead()
    points = uncapped if cap is None else min(uncapped, cap)
    return points, rule, {"rule": rule.name, "uncapped": uncapped, "cap": cap,
                          "point_value_kopecks": get_settings().point_value_kopecks}


def qualify_lead(lead: Lead, actor: User) -> Lead:
    """Qualify a submitted lead: protect its customer and pay the fixed reward, exactly once."""
    _require_staff(actor)
    if lead.user_id == actor.id:
        raise NotAllowed(_l("Nobody can review their own lead."))
    holder = db.session.scalar(select(Lead).where(
        _same_customer(inn=lead.customer_inn, name_key=lead.name_key, region_key=lead.region_key,
                       email_domain=lead.email_domain, phone=lead.contact_phone),
        Lead.status.in_((QUALIFIED, WON)), Lead.holder_inn.is_not(None), Lead.id != lead.id,
    ).limit(1))
    if holder is not None:
        raise _already_protected(holder, lead)
    now = utcnow()
    settings = get_lead_settings()
    try:
        # The lead takes (or keeps) its customer's INN: a lead qualified at the same moment for the same customer
        # meets the unique index and waits for this one's outcome.
        with db.session.begin_nested():
            _move(lead, SUBMITTED, QUALIFIED, actor, qualified_at=now, qualified_by_id=actor.id,
                  protected_until=now + timedelta(days=settings.protection_days), holder_inn=lead.customer_inn)
    except IntegrityError:
        raise _already_protected(holder_of(lead.customer_inn), lead) from None
    _event(lead, QUALIFIED, actor)
    points, rule, details = qualified_reward(lead)
    if points > 0:
        key = f"lead:{lead.id}:qualified"
        ledger.earn(lead.user_id, points, key=key, source_type="lead", source_id=lead.id, actor_id=actor.id,
                    params={"customer": lead.customer_name})
        db.session.add(LeadAward(key=key, kind=QUALIFIED_REWARD, lead_id=lead.id, user_id=lead.user_id,
                                 rule_id=rule.id, points=points, details=details, awarded_at=now))
        lead.reward_points = points
    db.session.flush()
    events.lead_qualified.send(lead, actor=actor)
    return lead


def _already_protected(holder: Lead | None, lead: Lead) -> DomainError:
    if holder is None:
        return DomainError(_l("Someone has just changed this customer's leads. Send the form again."))
    return DomainError(_l("Lead #%(other)s already protects this customer: reject lead #%(id)s or wait until "
                          "the protection ends.", other=holder.id, id=lead.id))


def reject_lead(lead: Lead, actor: User, reason: str) -> Lead:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give the reason: the participant will see it."), field="reason")
    _require_staff(actor)
    _move(lead, SUBMITTED, REJECTED, actor, rejection_reason=reason[:500], holder_inn=None)
    _event(lead, REJECTED, actor, reason)
    db.session.flush()
    return lead


def close_lead(lead: Lead, actor: User, won: bool, note: str = "") -> Lead:
    """Mark a qualified lead won or lost. A lost customer is free again for others; a won one stays with the lead
    until the later of its protection date and the won period of the lead settings."""
    _require_staff(actor)
    target = WON if won else LOST
    now = utcnow()
    days = get_lead_settings().won_protection_days
    held = {"protected_until": won_protection_end(lead, now, days)} if won else {"holder_inn": None}
    _move(lead, QUALIFIED, target, actor, closed_at=now, **held)
    _event(lead, target, actor, (note or "").strip())
    db.session.flush()
    return lead
