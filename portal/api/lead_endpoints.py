"""The lead endpoints of /api/v1: partner systems register and read their company's leads; the program
team's systems read the lead review queue and decide."""

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.core.errors import DomainError
from portal.extensions import db
from portal.leads import services as leads
from portal.leads.models import SUBMITTED, Lead

from . import lead_schemas as schemas
from .blueprint import bp, current_key, get_or_404, page, requires
from .endpoints import IDEMPOTENCY, _company_only
from .lead_submissions import attach_file, external_ids, is_conflict, notice, submit_lead
from .models import LeadReference


def _options():
    return (selectinload(Lead.user), selectinload(Lead.channel), selectinload(Lead.events),
            selectinload(Lead.attachments))


def _present(items: list[Lead], *, created: bool = False) -> list[Lead]:
    if len(items) == 1:
        db.session.flush()
        db.session.expire(items[0], ["events", "attachments"])  # a change just made adds to its history
    refs = external_ids([lead.id for lead in items])
    for lead in items:
        lead.external_id = refs.get(lead.id)
        lead.conflict = is_conflict(lead)
        lead.notice = notice(lead) if created else None
    return items


def _visible_lead(lead_id: int) -> Lead:
    """A lead the key may read: its own company's (company keys) or any (program keys)."""
    lead = get_or_404(Lead, lead_id)
    key = current_key()
    if key.company_id is not None and lead.company_id != key.company_id:
        abort(404)
    return _present([lead])[0]


def _lead_data(body: dict) -> leads.LeadData:
    return leads.LeadData(
        customer_name=body["customer_name"], customer_inn=body["customer_inn"],
        customer_kpp=body.get("customer_kpp") or "", region=body["region"], contact_name=body["contact_name"],
        contact_phone=body.get("contact_phone") or "", contact_email=body.get("contact_email") or "",
        need=body["need"], category=(body.get("category") or "").strip() or None,
        estimated_kopecks=body["estimated_kopecks"], expected_close_date=body.get("expected_close_date"),
        channel_id=body["channel_id"], comment=body.get("comment") or "",
    )


# --- partner systems ---------------------------------------------------------------------------------


@bp.get("/lead-channels")
@requires("leads:write", "leads:read", "leads:review")
@bp.response(200, schemas.ChannelList)
def list_lead_channels():
    """Where leads come from: a lead names one of these active channels by id."""
    return {"items": leads.channels()}


@bp.post("/leads")
@requires("leads:write")
@bp.doc(**IDEMPOTENCY)
@bp.arguments(schemas.LeadIn)
@bp.response(201, schemas.LeadOut, description="Registered: sent for review, or kept as rejected when another "
                                               "lead holds the customer (`conflict`, told in `notice`).")
@bp.alt_response(200, schema=schemas.LeadOut, description="This lead id is known: its lead.")
def create_lead(body):
    """Register a lead (deal registration) with the lead form's rules and conflict check."""
    external_id = body["external_id"].strip()
    if not external_id:
        raise DomainError(_l("Give your document id."), field="external_id")
    lead, created = submit_lead(_company_only(), external_id, body["participant_email"], _lead_data(body))
    return _present([lead], created=created)[0], 201 if created else 200


@bp.post("/leads/<int:lead_id>/attachments")
@requires("leads:write")
@bp.doc(**IDEMPOTENCY)
@bp.arguments(schemas.FileUpload, location="files")
@bp.response(201, schemas.LeadOut)
def upload_lead_file(files, lead_id):
    """Attach a file (PDF, JPEG or PNG) to a submitted or qualified lead of your company."""
    _company_only()
    lead = _visible_lead(lead_id)
    upload = files["file"]
    attach_file(lead, upload.filename or "file", upload.read())
    return _present([lead])[0]


@bp.get("/leads")
@requires("leads:read", "leads:review")
@bp.arguments(schemas.LeadQuery, location="query")
@bp.response(200, schemas.LeadPage)
def list_leads(args):
    """Leads with their states and history, newest first."""
    key = current_key()
    query = select(Lead).options(*_options())
    if key.company_id is not None:
        query = query.where(Lead.company_id == key.company_id)
    elif args.get("company_id"):
        query = query.where(Lead.company_id == args["company_id"])
    if args.get("status"):
        query = query.where(Lead.status == args["status"])
    if args.get("external_id"):
        query = query.join(LeadReference, LeadReference.lead_id == Lead.id).where(
            LeadReference.external_id == args["external_id"])
        if key.company_id is not None:
            query = query.where(LeadReference.company_id == key.company_id)
    items, cursor = page(query, Lead.id, args)
    return {"items": _present(items), "next_cursor": cursor}


@bp.get("/leads/<int:lead_id>")
@requires("leads:read", "leads:review")
@bp.response(200, schemas.LeadOut)
def get_lead(lead_id):
    """One lead with its state, protection, reward, history and files."""
    return _visible_lead(lead_id)


# --- the program team ----------------------------------------------------------------------------------


@bp.get("/leads/queue")
@requires("leads:review")
@bp.arguments(schemas.LeadQueueQuery, location="query")
@bp.response(200, schemas.LeadPage)
def lead_queue(args):
    """Leads awaiting review, oldest first."""
    query = select(Lead).where(Lead.status == SUBMITTED).options(*_options())
    if args.get("company_id"):
        query = query.where(Lead.company_id == args["company_id"])
    if args.get("channel_id"):
        query = query.where(Lead.channel_id == args["channel_id"])
    items, cursor = page(query, Lead.id, args, descending=False)
    return {"items": _present(items), "next_cursor": cursor}


def _decide(lead_id: int, action):
    key = current_key()
    if key.company_id is not None:
        abort(404)
    lead = _visible_lead(lead_id)
    action(lead, key.created_by)
    return _present([lead])[0]


@bp.post("/leads/<int:lead_id>/qualify")
@requires("leads:review")
@bp.doc(**IDEMPOTENCY)
@bp.response(200, schemas.LeadOut)
def qualify_lead(lead_id):
    """Qualify a submitted lead: its customer is protected and its fixed reward credited."""
    return _decide(lead_id, leads.qualify_lead)


@bp.post("/leads/<int:lead_id>/reject")
@requires("leads:review")
@bp.doc(**IDEMPOTENCY)
@bp.arguments(schemas.LeadRejectIn)
@bp.response(200, schemas.LeadOut)
def reject_lead(body, lead_id):
    """Reject a submitted lead with a reason the participant will read."""
    return _decide(lead_id, lambda lead, actor: leads.reject_lead(lead, actor, body["reason"]))


@bp.post("/leads/<int:lead_id>/close")
@requires("leads:review")
@bp.doc(**IDEMPOTENCY)
@bp.arguments(schemas.LeadCloseIn)
@bp.response(200, schemas.LeadOut)
def close_lead(body, lead_id):
    """Mark a qualified lead won or lost; its customer is free again for others."""
    return _decide(lead_id, lambda lead, actor: leads.close_lead(lead, actor, body["outcome"] == "won",
                                                                 body.get("note") or ""))
