"""Leads: registering, the conflict check, qualifying with its reward, protection and its end, and
attributing sales to leads."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.auth.models import PARTNER_ADMIN, PARTNER_ROLES, STAFF_ROLES, User
from portal.claims.models import APPROVED as CLAIM_APPROVED
from portal.claims.models import Claim
from portal.core import events
from portal.core.errors import DomainError, NotAllowed
from portal.core.inn import is_valid_inn, normalize_inn
from portal.core.phones import normalize_phone
from portal.core.sql import compare_and_set, insert_ignoring_duplicates, lower_text
from portal.core.time import local_date, utcnow
from portal.extensions import db
from portal.ledger import services as ledger
from portal.partners.history import audience_on
from portal.program.services import get_settings
from portal.rules import engine

from . import matching
from .holders import conflict_reason, holder_of, won_protection_end
from .models import (
    ATTRIBUTABLE,
    EXPIRED,
    EXTENDED,
    EXTENSION_REQUESTED,
    LOST,
    QUALIFIED,
    QUALIFIED_REWARD,
    REJECTED,
    RELEASED,
    REMINDED,
    SALE_SHARE,
    STATUS_LABELS,
    SUBMITTED,
    TRANSITIONS,
    WON,
    Lead,
    LeadAttachment,
    LeadAward,
    LeadChannel,
    LeadEvent,
    LeadReminder,
    LeadRewardRule,
    LeadSettings,
)
from .notifications import send_reminder

MAX_AMOUNT_KOPECKS = 10**15  # a thousand trillion roubles: anything above is a typo


@dataclass
class LeadData:
    customer_name: str
    customer_inn: str
    customer_kpp: str
    region: str
    contact_name: str
    contact_phone: str
    contact_email: str
    need: str
    category: str | None
    estimated_kopecks: int | None
    expected_close_date: date | None
    channel_id: int | None
    comment: str = ""


# --- settings and dictionaries -------------------------------------------------------------------


def get_lead_settings() -> LeadSettings:
    """The settings row, created with defaults the first time it is asked for."""
    found = db.session.get(LeadSettings, 1)
    if found is None:
        # Two requests may ask for the first time at once: the second one's insert is skipped.
        defaults = {c.name: c.default.arg for c in LeadSettings.__table__.columns if c.default is not None}
        defaults["reminder_days"] = [7, 1]
        insert_ignoring_duplicates(LeadSettings, [{**defaults, "id": 1}], ["id"])
        found = db.session.get(LeadSettings, 1)
    return found


def update_lead_settings(*, protection_days: int, extension_days: int, max_extensions: int, attribution_days: int,
                         max_cost_per_lead_kopecks: int | None, reminder_days: list[int],
                         won_protection_days: int | None = None) -> LeadSettings:
    """Save the lead settings; `won_protection_days` None keeps the current won period."""
    found = get_lead_settings()
    if won_protection_days is None:
        won_protection_days = found.won_protection_days
    for name, value, low, high in (("protection_days", protection_days, 1, 366),
                                   ("won_protection_days", won_protection_days, 1, 1096),
                                   ("extension_days", extension_days, 1, 366),
                                   ("max_extensions", max_extensions, 0, 12),
                                   ("attribution_days", attribution_days, 1, 1096)):
        if value is None or not low <= value <= high:
            raise DomainError(_l("Enter a whole number from %(low)s to %(high)s.", low=low, high=high), field=name)
    if max_cost_per_lead_kopecks is not None and not 0 <= max_cost_per_lead_kopecks <= MAX_AMOUNT_KOPECKS:
        raise DomainError(_l("Enter an amount in roubles, for example 12 345,50."), field="max_cost_per_lead")
    days = sorted({d for d in reminder_days if isinstance(d, int)}, reverse=True)
    if any(not 1 <= d <= protection_days for d in days) or len(days) > 5:
        raise DomainError(_l("Up to five reminders, each 1 to %(days)s days before the end.", days=protection_days),
                          field="reminder_days")
    found.protection_days, found.extension_days = protection_days, extension_days
    found.won_protection_days = won_protection_days
    found.max_extensions, found.attribution_days = max_extensions, attribution_days
    found.max_cost_per_lead_kopecks, found.reminder_days = max_cost_per_lead_kopecks, days
    db.session.flush()
    return found


def channels(active_only: bool = True) -> list[LeadChannel]:
    query = select(LeadChannel).order_by(LeadChannel.position, LeadChannel.name_ru)
    if active_only:
        query = query.where(LeadChannel.active.is_(True))
    return list(db.session.scalars(query))


def save_channel(name_ru: str, name_en: str, position: int, active: bool,
                 channel: LeadChannel | None = None) -> LeadChannel:
    name_ru, name_en = " ".join((name_ru or "").split()), " ".join((name_en or "").split())
    if not name_ru:
        raise DomainError(_l("Name the channel."), field="name_ru")
    taken = db.session.scalar(select(LeadChannel.id).where(lower_text(LeadChannel.name_ru) == name_ru.lower()))
    if taken is not None and (channel is None or taken != channel.id):
        raise DomainError(_l("There is such a channel already."), field="name_ru")
    if channel is None:
        channel = LeadChannel()
        db.session.add(channel)
    channel.name_ru, channel.name_en = name_ru[:100], (name_en or name_ru)[:100]
    channel.position, channel.active = position if position is not None else 100, bool(active)
    db.session.flush()
    return channel


def save_reward_rule(*, name: str, kind: str, value: Decimal | None, channel_id: int | None, category: str | None,
                     active: bool, rule: LeadRewardRule | None = None) -> LeadRewardRule:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_l("Give the rule a name."), field="name")
    if kind not in ("fixed", "revenue_pct", "margin_pct"):
        raise DomainError(_l("Choose the kind of rule."), field="kind")
    if value is None or value <= 0:
        raise DomainError(_l("The value must be positive."), field="value")
    if kind != "fixed" and value > 100:
        raise DomainError(_l("A percent cannot exceed 100."), field="value")
    if kind == "fixed" and value != int(value):
        raise DomainError(_l("Fixed points are a whole number."), field="value")
    if channel_id is not None and db.session.get(LeadChannel, channel_id) is None:
        raise DomainError(_l("Choose a channel from the list."), field="channel_id")
    if rule is None:
        rule = LeadRewardRule()
        db.session.add(rule)
    rule.name, rule.kind, rule.value = name[:200], kind, value
    rule.channel_id, rule.category, rule.active = channel_id, (category or "").strip()[:100] or None, bool(active)
    db.session.flush()
    return rule


# --- who may see what ----------------------------------------------------------------------------


def can_view(user: User, lead: Lead) -> bool:
    """The author, their company's partner admin, and the program team; nobody else."""
    if user.role in STAFF_ROLES or lead.user_id == user.id:
        return True
    return user.role == PARTNER_ADMIN and user.company_id == lead.company_id


# --- registering and the conflict check ----------------------------------------------------------


def _clean(data: LeadData) -> dict:
    customer = " ".join((data.customer_name or "").split())
    if not customer:
        raise DomainError(_l("Enter the customer."), field="customer_name")
    inn = normalize_inn(data.customer_inn)
    if not is_valid_inn(inn):
        raise DomainError(_l("Enter a valid INN: 10 or 12 digits with a correct check digit."), field="customer_inn")
    kpp = normalize_inn(data.customer_kpp) or None
    if kpp and not (len(kpp) == 9 and kpp.isascii() and kpp[:4].isdigit() and kpp[6:].isdigit()
                    and kpp[4:6].isalnum()):
        raise DomainError(_l("A KPP has 9 characters, for example 773601001."), field="customer_kpp")
    region = " ".join((data.region or "").split())
    if not region:
        raise DomainError(_l("Enter the region."), field="region")
    contact = " ".join((data.contact_name or "").split())
    if not contact:
        raise DomainError(_l("Enter the contact person."), field="contact_name")
    phone = None
    if (data.contact_phone or "").strip():
        phone = normalize_phone(data.contact_phone)
        if phone is None:
            raise DomainError(_l("Enter a Russian number, for example +7 (999) 123-45-67."), field="contact_phone")
    email = (data.contact_email or "").strip().lower() or None
    if email and ("@" not in email or email.startswith("@") or "." not in email.rpartition("@")[2]):
        raise DomainError(_l("Enter a valid email address."), field="contact_email")
    if phone is None and email is None:
        raise DomainError(_l("Give the contact's phone or email."), field="contact_phone")
    need = " ".join((data.need or "").split())
    if not need:
        raise DomainError(_l("Describe what the customer needs: products or categories."), field="need")
    estimate = data.estimated_kopecks
    if estimate is None or not 0 < estimate <= MAX_AMOUNT_KOPECKS:
        raise DomainError(_l("Enter the estimated amount in roubles."), field="estimated_amount")
    valid_id = isinstance(data.channel_id, int) and 0 < data.channel_id < 2**31
    channel = db.session.get(LeadChannel, data.channel_id) if valid_id else None
    if channel is None or not channel.active:
        raise DomainError(_l("Choose where the lead came from."), field="channel_id")
    return {
        "customer_name": customer[:200], "name_key": matching.name_key(customer), "customer_inn": inn,
        "customer_kpp": kpp, "region": region[:120], "region_key": matching.region_key(region),
        "contact_name": contact[:200], "contact_phone": phone, "contact_email": email and email[:254],
        "email_domain": matching.email_domain(email), "need": need[:1000], "category": data.category or None,
        "estimated_kopecks": estimate, "expected_close_date": data.expected_close_date, "channel_id": channel.id,
        "comment": (data.comment or "").strip()[:4000] or None,
    }


def _same_customer(*, inn: str | None, name_key: str | None, region_key: str | None, email_domain: str | None,
                   phone: str | None):
    """The SQL condition for 'the same customer' by any of the four signs."""
    signs = []
    if inn:
        signs.append(Lead.customer_inn == inn)
    if name_key:
        signs.append(and_(Lead.name_key == name_key, Lead.region_key == region_key))
    if email_domain:
        signs.append(Lead.email_domain == email_domain)
    if phone:
        signs.append(Lead.contact_phone == phone)
    return or_(*signs) if signs else False


def conflicting_leads(values: dict, user_id: int, exclude_id: int | None = None) -> list[Lead]:
    """Leads of other people holding the same customer: the ones that make a new lead taken."""
    query = select(Lead).where(
        _same_customer(inn=values["customer_inn"], name_key=values["name_key"], region_key=values["region_key"],
                       email_domain=values["email_domain"], phone=values["contact_phone"]),
        Lead.holder_inn.is_not(None), Lead.user_id != user_id,
    )
    if exclude_id is not None:
        query = query.where(Lead.id != exclude_id)
    return list(db.session.scalars(query.order_by(Lead.id)))


def _own_duplicate(lead_id: int) -> DomainError:
    return DomainError(_l("You have already registered this customer: lead #%(id)s.", id=lead_id))


def _insert_holding(values: dict, user: User) -> tuple[Lead, Lead | None]:
    """Insert the lead as its customer's holder; if another lead holds the INN (the unique index says so, even
    for a registration committed a moment ago), insert it holding nothing. Returns (lead, the holder it met)."""
    for _attempt in range(3):
        lead = Lead(user_id=user.id, company_id=user.company_id, status=SUBMITTED, submitted_at=utcnow(),
                    holder_inn=values["customer_inn"], **values)
        try:
            with db.session.begin_nested():
                db.session.add(lead)
        except IntegrityError:
            holder = holder_of(values["customer_inn"])
            if holder is None:
                continue  # the holder let go between our insert and our look: try again
            if holder.user_id == user.id:
                raise _own_duplicate(holder.id) from None
            lead = Lead(user_id=user.id, company_id=user.company_id, status=SUBMITTED, submitted_at=utcnow(),
                        **values)
            db.session.add(lead)
            db.session.flush()
            return lead, holder
        return lead, None
    raise DomainError(_l("Someone has just changed this customer's leads. Send the form again."))


def register_lead(user: User, data: LeadData, attachments: list[tuple[str, str, str]] = ()) -> Lead:
    """Register a lead. If the customer is already held by someone else (by INN, the database decides; by name
    and region, mail domain or phone, this check), the lead is kept but rejected at once as a conflict: the
    participant learns it is taken, and by whom when it is a colleague; managers see both."""
    if user.role not in PARTNER_ROLES or user.company is None:
        raise NotAllowed(_l("Only partner staff register leads."))
    values = _clean(data)
    own = db.session.scalar(select(Lead).where(
        _same_customer(inn=values["customer_inn"], name_key=values["name_key"], region_key=values["region_key"],
                       email_domain=values["email_domain"], phone=values["contact_phone"]),
        Lead.holder_inn.is_not(None), Lead.user_id == user.id,
    ).order_by(Lead.id).limit(1))
    if own is not None:
        raise _own_duplicate(own.id)
    lead, holder = _insert_holding(values, user)
    for stored, original, mimetype in attachments:
        db.session.add(LeadAttachment(lead_id=lead.id, path=stored, filename=original, mimetype=mimetype))
    _event(lead, SUBMITTED, user)
    if holder is None:
        found = conflicting_leads(values, user.id, exclude_id=lead.id)
        holder = found[0] if found else None
    if holder is not None:
        reason = conflict_reason(holder, user.company_id)
        lead.conflict_lead_id = holder.id
        _move(lead, SUBMITTED, REJECTED, None, rejection_reason=reason[:500], holder_inn=None)
        _event(lead, REJECTED, None, reason)
    db.session.flush()
    return lead


def similar_leads(lead: Lead) -> list[Lead]:
    """Every other lead for the same customer by any sign, in any state: what managers compare."""
    query = select(Lead).where(
        _same_customer(inn=lead.customer_inn, name_key=lead.name_key, region_key=lead.region_key,
                       email_domain=lead.email_domain, phone=lead.contact_phone),
        Lead.id != lead.id,
    ).options(selectinload(Lead.user), selectinload(Lead.company), selectinload(Lead.channel))
    return list(db.session.scalars(query.order_by(Lead.id.desc()).limit(20)))


def existing_customer_sales(lead: Lead):
    """Approved sales to the same customer INN, by anyone: the customer may already be buying."""
    query = select(Claim).where(Claim.customer_inn == lead.customer_inn, Claim.status == CLAIM_APPROVED)
    return list(db.session.scalars(query.order_by(Claim.invoice_date.desc()).limit(20)))


# --- the state machine ---------------------------------------------------------------------------


def _event(lead: Lead, action: str, actor: User | None, note: str | None = None) -> None:
    db.session.add(LeadEvent(lead_id=lead.id, action=action, actor_id=actor.id if actor else None,
                             note=(note or None) and note[:500]))


def _move(lead: Lead, source: str, target: str, actor: User | None, **values) -> None:
    """Change the state only if nobody changed it meanwhile: of two managers, one wins, the other is told."""
    assert target in TRANSITIONS[source], f"leads never go from {source} to {target}"
    if actor is not None:
        values["decided_by_id"] = actor.id
    if not compare_and_set(lead, "status", source, status=target, **values):
        raise DomainError(_l("Lead #%(id)s is already %(status)s.", id=lead.id,
                             status=str(STATUS_LABELS[lead.status]).lower()))


def _require_staff(actor: User) -> None:
    if actor.role not in STAFF_ROLES:
        raise NotAllowed(_l("Only the program team reviews leads."))


def _rule_specificity(rule: LeadRewardRule) -> tuple:
    return (rule.category is not None, rule.channel_id is not None)


def _matching_rules(kinds: tuple[str, ...], channel_id: int) -> list[LeadRewardRule]:
    return list(db.session.scalars(select(LeadRewardRule).where(
        LeadRewardRule.active.is_(True), LeadRewardRule.kind.in_(kinds),
        or_(LeadRewardRule.channel_id.is_(None), LeadRewardRule.channel_id == channel_id),
    ).order_by(LeadRewardRule.id)))


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


# --- lists ---------------------------------------------------------------------------------------


def _filter(query, *, status: str = "", q: str = ""):
    query = query.options(selectinload(Lead.user), selectinload(Lead.company), selectinload(Lead.channel))
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
    return _filter(query, status=status, q=q)


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


# --- attribution of sales ------------------------------------------------------------------------


def attribution_window(lead: Lead) -> tuple[date, date] | None:
    """Invoice dates that count for the lead: from its registration to N days after qualification."""
    if lead.qualified_at is None:
        return None
    days = get_lead_settings().attribution_days
    return local_date(lead.submitted_at), local_date(lead.qualified_at) + timedelta(days=days)


def in_window(lead: Lead, invoice_date: date) -> bool:
    window = attribution_window(lead)
    return window is not None and window[0] <= invoice_date <= window[1]


def attributable_leads(user: User) -> list[Lead]:
    """My leads a sale can still be attributed to, for the claim form to suggest."""
    return list(db.session.scalars(select(Lead).where(Lead.user_id == user.id, Lead.status.in_(ATTRIBUTABLE))
                                   .order_by(Lead.qualified_at.desc(), Lead.id.desc()).limit(200)))


def resolve_claim_lead(user: User, raw_lead_id, customer_inn: str | None, invoice_date: date | None) -> int | None:
    """The hook the claims service calls: check the lead a sale names and return its id (None when none)."""
    text = str(raw_lead_id or "").strip()
    if not text:
        return None
    lead = db.session.get(Lead, int(text)) if text.isdigit() and len(text) < 10 else None
    if lead is None or lead.user_id != user.id:
        raise DomainError(_l("Choose one of your leads from the list."), field="lead_id")
    if lead.status not in ATTRIBUTABLE:
        raise DomainError(_l("Lead #%(id)s is %(status)s: sales can be attributed only to qualified leads.",
                             id=lead.id, status=lead.status_label.lower()), field="lead_id")
    if normalize_inn(customer_inn) != lead.customer_inn:
        raise DomainError(_l("The customer INN of the sale must be the lead's: %(inn)s.", inn=lead.customer_inn),
                          field="lead_id")
    if invoice_date is not None and not in_window(lead, invoice_date):
        start, end = attribution_window(lead)
        raise DomainError(_l("Lead #%(id)s counts sales invoiced from %(start)s to %(end)s.", id=lead.id,
                             start=start.strftime("%d.%m.%Y"), end=end.strftime("%d.%m.%Y")), field="lead_id")
    return lead.id


def share_key(claim_id: int) -> str:
    return f"lead-share:claim:{claim_id}"


def sale_share(claim, lead: Lead) -> tuple[int, list[dict]]:
    """The lead's share of an approved sale, through the rules engine: each line earns the most specific
    percent rule for the lead's channel and the line's category (category beats channel)."""
    rules = _matching_rules(("revenue_pct", "margin_pct"), lead.channel_id)
    if not rules:
        return 0, []
    specs = [engine.RuleSpec(id=r.id, name=r.name, kind=r.kind, value=Decimal(r.value),
                             categories=frozenset([r.category]) if r.category else frozenset(),
                             priority=2 * (r.category is not None) + (r.channel_id is not None), stackable=False)
             for r in rules]
    audience = audience_on(claim.user_id, claim.invoice_date)  # the seller's audience on the invoice date
    sale = engine.ClaimInput(audience, claim.company_id, claim.invoice_date, tuple(
        engine.LineInput(line.product_id, line.product.category, line.quantity, line.unit_price_kopecks,
                         line.unit_cost_kopecks) for line in claim.lines))
    awards = engine.calculate(sale, specs, get_settings().point_value_kopecks)
    parts = [{"rule_id": a.rule_id, "rule": a.rule_name, "kind": a.kind, "points": a.points,
              "base_kopecks": sum(d["base_kopecks"] for d in a.details), "percent": a.details[0]["percent"]}
             for a in awards]
    return engine.total_points(awards), parts


def award_sale_share(claim, actor: User | None) -> LeadAward | None:
    """On approval of a sale naming a lead: credit the lead's share once, and mark the lead won."""
    lead = claim.lead
    if lead is None or lead.qualified_at is None or lead.status == REJECTED:
        return None
    if not in_window(lead, claim.invoice_date):
        return None
    key = share_key(claim.id)
    # The sale closes the lead; a lead closed meanwhile (won by another sale, lost) keeps its state.
    now = utcnow()
    if lead.status == QUALIFIED and compare_and_set(lead, "status", QUALIFIED, status=WON, closed_at=now,
                                                    protected_until=won_protection_end(
                                                        lead, now, get_lead_settings().won_protection_days),
                                                    decided_by_id=actor.id if actor else None):
        _event(lead, WON, actor, str(_l("Sale #%(id)s", id=claim.id)))
    points, parts = sale_share(claim, lead)
    award = None
    if points > 0 and db.session.scalar(select(LeadAward.id).where(LeadAward.key == key)) is None:
        ledger.earn(claim.user_id, points, key=key, source_type="lead_share", source_id=claim.id,
                    actor_id=actor.id if actor else None, params={"lead": lead.id, "invoice": claim.invoice_number})
        award = LeadAward(key=key, kind=SALE_SHARE, lead_id=lead.id, claim_id=claim.id, user_id=claim.user_id,
                          rule_id=parts[0]["rule_id"], points=points,
                          details={"parts": parts, "revenue_kopecks": claim.total_kopecks})
        db.session.add(award)
    db.session.flush()
    return award


def claw_back_sale_share(claim, actor: User | None) -> None:
    """On reversal of a sale: take the lead's share back through the ledger."""
    award = db.session.scalar(select(LeadAward).where(LeadAward.key == share_key(claim.id)))
    if award is None or award.reversed_at is not None:
        return
    posted = ledger.find_transaction(award.key)
    if posted is not None:
        ledger.reverse_transaction(posted, actor_id=actor.id if actor else None,
                                   reason=f"#{claim.id}", key=f"{award.key}:reversed")
    award.reversed_at = utcnow()
    db.session.flush()
