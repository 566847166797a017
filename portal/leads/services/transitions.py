"""The leads' state machine: every change of state goes through `_move` and leaves an event."""

from flask_babel import lazy_gettext as _l

from portal.auth.models import STAFF_ROLES, User
from portal.core.errors import DomainError, NotAllowed
from portal.core.sql import compare_and_set
from portal.extensions import db
from portal.leads.models import STATUS_LABELS, TRANSITIONS, Lead, LeadEvent


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
