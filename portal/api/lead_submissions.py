"""Leads from partner systems (a CRM): registered through the same service as the lead form.

Each lead carries the partner's own id; an id already known in the company returns its lead instead of
registering a second one. A customer held by another partner gives what the form gives: the lead is kept as
rejected, with the form's message and nothing of the other partner.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.auth.models import PARTNER_ROLES, User
from portal.core.errors import DomainError
from portal.extensions import db
from portal.leads import services as leads
from portal.leads.attachments import MAX_FILES, store_attachment
from portal.leads.holders import conflict_notice
from portal.leads.models import ACTIVE, REJECTED, Lead, LeadAttachment

from .models import LeadReference

# The form's field names where the API names them otherwise.
FIELDS = {"estimated_amount": "estimated_kopecks", "attachments": "file"}


def api_field(error: DomainError) -> DomainError:
    """The same message, naming the API's field."""
    return DomainError(error.message, field=FIELDS.get(error.field, error.field))


def find_lead(company_id: int, external_id: str) -> Lead | None:
    return db.session.scalar(
        select(Lead).join(LeadReference, LeadReference.lead_id == Lead.id)
        .where(LeadReference.company_id == company_id, LeadReference.external_id == external_id))


def external_ids(lead_ids: list[int]) -> dict[int, str]:
    if not lead_ids:
        return {}
    rows = db.session.execute(select(LeadReference.lead_id, LeadReference.external_id)
                              .where(LeadReference.lead_id.in_(lead_ids)))
    return dict(rows.all())


def find_participant(company_id: int, email: str) -> User:
    person = db.session.scalar(select(User).where(User.email == (email or "").strip().lower(),
                                                  User.company_id == company_id))
    if person is None or not person.active or person.role not in PARTNER_ROLES:
        raise DomainError(_l("No active participant of your company has this e-mail."), field="participant_email")
    return person


def submit_lead(company_id: int, external_id: str, participant_email: str,
                data: leads.LeadData) -> tuple[Lead, bool]:
    """Register the lead of one CRM record: (lead, created). A known id returns its lead unchanged."""
    existing = find_lead(company_id, external_id)
    if existing is not None:
        return existing, False
    person = find_participant(company_id, participant_email)
    try:
        lead = leads.register_lead(person, data)
    except DomainError as exc:
        raise api_field(exc) from exc
    db.session.add(LeadReference(company_id=company_id, external_id=external_id, lead_id=lead.id))
    db.session.flush()
    return lead, True


def is_conflict(lead: Lead) -> bool:
    return lead.status == REJECTED and lead.conflict_lead_id is not None


def notice(lead: Lead) -> str:
    """The message the lead form shows after registering."""
    if is_conflict(lead):
        return conflict_notice(lead)
    return str(_l("Lead #%(id)s is registered and sent for review.", id=lead.id))


def attach_file(lead: Lead, filename: str, content: bytes) -> LeadAttachment:
    """Add a file to an active lead: the same checks as the form's attachments, at most five a lead."""
    if lead.status not in ACTIVE:
        raise DomainError(_l("Files can be added only to a submitted or qualified lead."), field="file")
    count = db.session.scalar(select(func.count(LeadAttachment.id)).where(LeadAttachment.lead_id == lead.id))
    if count >= MAX_FILES:
        raise DomainError(_l("Attach at most %(n)s files.", n=MAX_FILES), field="file")
    try:
        stored, original, mimetype = store_attachment(filename, content)
    except DomainError as exc:
        raise api_field(exc) from exc
    item = LeadAttachment(lead_id=lead.id, path=stored, filename=original, mimetype=mimetype)
    db.session.add(item)
    db.session.flush()
    db.session.refresh(lead, ["attachments"])
    return item
