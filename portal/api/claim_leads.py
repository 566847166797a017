"""The lead a claim from a partner system names: by the lead's id or by the partner's own id of the lead."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.core.errors import DomainError
from portal.extensions import db

from .models import LeadReference


def named_lead(company_id: int, item: dict):
    """The lead for the claims service: an id to check, or None (no lead named: the claim is linked by its
    customer INN to a qualified or won lead of the company, if one matches)."""
    if item.get("lead_id") is not None:
        return item["lead_id"]
    external_id = (item.get("lead_external_id") or "").strip()
    if not external_id:
        return None
    lead_id = db.session.scalar(select(LeadReference.lead_id).where(LeadReference.company_id == company_id,
                                                                    LeadReference.external_id == external_id))
    if lead_id is None:
        raise DomainError(_l("No lead of your company has this id."), field="lead_external_id")
    return lead_id


def lead_external_id(lead_id: int | None) -> str | None:
    if lead_id is None:
        return None
    return db.session.scalar(select(LeadReference.external_id).where(LeadReference.lead_id == lead_id))
