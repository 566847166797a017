"""Registering a lead and the conflict check: who already holds the customer."""

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.auth.models import PARTNER_ROLES, User
from portal.claims.models import APPROVED as CLAIM_APPROVED
from portal.claims.models import Claim
from portal.core.errors import DomainError, NotAllowed
from portal.core.inn import is_valid_inn, normalize_inn
from portal.core.phones import normalize_phone
from portal.core.time import utcnow
from portal.extensions import db
from portal.leads import matching
from portal.leads.holders import conflict_reason, holder_of
from portal.leads.models import REJECTED, SUBMITTED, Lead, LeadAttachment, LeadChannel

from .settings import MAX_AMOUNT_KOPECKS
from .transitions import _event, _move


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
