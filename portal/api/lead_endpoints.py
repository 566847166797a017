"""The lead endpoints of /api/v1: partner systems register and read their company's leads; the program
team's systems read the lead review queue and decide."""

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.leads import services as leads
from portal.leads.models import QUALIFIED, SUBMITTED, Lead

from . import lead_schemas as schemas
from .blueprint import bp, current_key, page, requires
from .errors import StateConflict
from .lead_submissions import attach_file, external_ids, is_conflict, notice, submit_lead
from .models import LeadReference
from .reference import N_
from .shapes import (
    BATCH_RESPONSES,
    IDEMPOTENCY,
    batch_answer,
    company_only,
    company_page,
    create_each,
    create_status,
    decide,
    external_id_of,
    read_upload,
    visible,
)


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
    return _present([visible(Lead, lead_id)])[0]


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
@bp.doc(summary=N_("Where leads come from: a lead names one of these active channels by id."))
def list_lead_channels():
    return {"items": leads.channels()}


@bp.post("/leads")
@requires("leads:write")
@bp.doc(summary=N_("Register a lead (deal registration) with the lead form's rules and conflict check."),
        **IDEMPOTENCY)
@bp.arguments(schemas.LeadIn)
@bp.response(201, schemas.LeadOut, description=N_("Registered: sent for review, or kept as rejected when "
                                                  "another lead holds the customer (`conflict`, told in "
                                                  "`notice`)."))
@bp.alt_response(200, schema=schemas.LeadOut, description=N_("This lead id is known: its lead."))
def create_lead(body):
    lead, created = submit_lead(company_only(), external_id_of(body), body["participant_email"], _lead_data(body))
    return _present([lead], created=created)[0], create_status(created)


@bp.post("/leads/batch")
@requires("leads:write")
@bp.doc(summary=N_("Register up to 500 leads; each gets its own result, the good ones are kept."),
        description=N_("Each lead is checked and registered on its own: a bad one gets status 422 and its errors, "
                       "the others are registered (201) or found by their lead id (200). The whole batch is "
                       "refused (422) only when it is not a list of 1 to 500 items."), **IDEMPOTENCY)
@bp.arguments(schemas.LeadBatchIn)
@bp.response(200, schemas.LeadBatchOut, description=BATCH_RESPONSES[200])
@bp.alt_response(207, schema=schemas.LeadBatchOut, description=BATCH_RESPONSES[207])
def create_leads(body):
    company_id = company_only()
    outcomes = create_each(body["leads"], schemas.LeadIn(), lambda external_id, item: submit_lead(
        company_id, external_id, item["participant_email"], _lead_data(item)))
    _present([o.obj for o in outcomes if o.status == 201], created=True)
    _present([o.obj for o in outcomes if o.status == 200])
    return batch_answer(outcomes, "lead")


@bp.post("/leads/<int:lead_id>/attachments")
@requires("leads:write")
@bp.doc(summary=N_("Attach a file (PDF, JPEG or PNG) to a submitted or qualified lead of your company."),
        **IDEMPOTENCY)
@bp.arguments(schemas.FileUpload, location="files")
@bp.response(201, schemas.LeadOut)
def upload_lead_file(files, lead_id):
    company_only()
    lead = _visible_lead(lead_id)
    attach_file(lead, *read_upload(files, "file", "file"))
    return _present([lead])[0]


@bp.get("/leads")
@requires("leads:read", "leads:review")
@bp.doc(summary=N_("Leads with their states and history, newest first."))
@bp.arguments(schemas.LeadQuery, location="query")
@bp.response(200, schemas.LeadPage)
def list_leads(args):
    items, cursor = company_page(select(Lead).options(*_options()), Lead, LeadReference.lead_id, args)
    return {"items": _present(items), "next_cursor": cursor}


@bp.get("/leads/<int:lead_id>")
@requires("leads:read", "leads:review")
@bp.doc(summary=N_("One lead with its state, protection, reward, history and files."))
@bp.response(200, schemas.LeadOut)
def get_lead(lead_id):
    return _visible_lead(lead_id)


# --- the program team ----------------------------------------------------------------------------------


@bp.get("/leads/queue")
@requires("leads:review")
@bp.arguments(schemas.LeadQueueQuery, location="query")
@bp.response(200, schemas.LeadPage)
@bp.doc(summary=N_("Leads awaiting review, oldest first."))
def lead_queue(args):
    query = select(Lead).where(Lead.status == SUBMITTED).options(*_options())
    if args.get("company_id"):
        query = query.where(Lead.company_id == args["company_id"])
    if args.get("channel_id"):
        query = query.where(Lead.channel_id == args["channel_id"])
    items, cursor = page(query, Lead.id, args, descending=False)
    return {"items": _present(items), "next_cursor": cursor}


def _not_submitted(lead: Lead) -> StateConflict:
    return StateConflict(_l("Lead #%(id)s is %(status)s: only a submitted lead can be qualified or rejected.",
                            id=lead.id, status=lead.status_label.lower()), lead, lead.status_label)


def _not_qualified(lead: Lead) -> StateConflict:
    return StateConflict(_l("Lead #%(id)s is %(status)s: only a qualified lead can be marked won or lost.",
                            id=lead.id, status=lead.status_label.lower()), lead, lead.status_label)


def _decide(lead_id: int, allowed: tuple[str, ...], action, conflict):
    key = current_key()
    if key.company_id is not None:
        abort(404)
    lead = decide(_visible_lead(lead_id), allowed, action, key.created_by, conflict)
    return _present([lead])[0]


CONFLICT = N_("The lead is not in a state for this action: the problem gives its current_status.")


@bp.post("/leads/<int:lead_id>/qualify")
@requires("leads:review")
@bp.doc(summary=N_("Qualify a submitted lead: its customer is protected and its fixed reward credited."),
        **IDEMPOTENCY)
@bp.response(200, schemas.LeadOut)
@bp.alt_response(409, description=CONFLICT)
def qualify_lead(lead_id):
    return _decide(lead_id, (SUBMITTED,), leads.qualify_lead, _not_submitted)


@bp.post("/leads/<int:lead_id>/reject")
@requires("leads:review")
@bp.doc(summary=N_("Reject a submitted lead with a reason the participant will read."), **IDEMPOTENCY)
@bp.arguments(schemas.LeadRejectIn)
@bp.response(200, schemas.LeadOut)
@bp.alt_response(409, description=CONFLICT)
def reject_lead(body, lead_id):
    return _decide(lead_id, (SUBMITTED,), lambda lead, actor: leads.reject_lead(lead, actor, body["reason"]),
                   _not_submitted)


@bp.post("/leads/<int:lead_id>/close")
@requires("leads:review")
@bp.doc(summary=N_("Mark a qualified lead won or lost; its customer is free again for others."), **IDEMPOTENCY)
@bp.arguments(schemas.LeadCloseIn)
@bp.response(200, schemas.LeadOut)
@bp.alt_response(409, description=CONFLICT)
def close_lead(body, lead_id):
    return _decide(lead_id, (QUALIFIED,), lambda lead, actor: leads.close_lead(
        lead, actor, body["outcome"] == "won", body.get("note") or ""), _not_qualified)
