"""The /api/v1 endpoints: claims for partner systems, people, points, products; the review queue and orders."""

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.auth.models import PARTNER_ROLES, User
from portal.claims import notifications
from portal.claims import services as claims
from portal.claims.models import DRAFT, SUBMITTED, Claim, ClaimAward, ClaimLine
from portal.claims.services import ClaimData, LineData
from portal.core.errors import DomainError
from portal.extensions import db
from portal.ledger import services as ledger
from portal.ledger.descriptions import describe
from portal.ledger.models import LedgerEntry
from portal.ledger.reports import statement_query
from portal.products.models import Product
from portal.shop.models import Order, OrderLine

from . import schemas
from .blueprint import bp, current_key, get_or_404, page, requires
from .claim_leads import named_lead
from .errors import StateConflict
from .models import ClaimReference
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
from .submissions import Sale, attach_scan, decode_scan, external_ids, known_claims, submit_sale

# --- helpers ---------------------------------------------------------------------------------------


def _claim_options():
    return (selectinload(Claim.user), selectinload(Claim.lines).selectinload(ClaimLine.product),
            selectinload(Claim.awards).selectinload(ClaimAward.rule))


def _present(items: list[Claim]) -> list[Claim]:
    refs = external_ids([claim.id for claim in items])
    for claim in items:
        claim.external_id = refs.get(claim.id)
        claim.scan_required = claim.status == DRAFT and not claim.scan_path
    return items


def _visible_claim(claim_id: int) -> Claim:
    return _present([visible(Claim, claim_id)])[0]


def _check_skus(lines: list[dict]) -> None:
    """An unknown SKU is named in the error, on the line's own field."""
    skus = {line["sku"].strip() for line in lines}
    known = set(db.session.scalars(select(Product.sku).where(Product.sku.in_(skus))))
    for number, line in enumerate(lines):
        if line["sku"].strip() not in known:
            raise DomainError(_l("Line %(n)s: there is no product with the SKU %(sku)s in the catalogue.",
                                 n=number + 1, sku=line["sku"].strip()), field=f"lines.{number}.sku")


def _sale(external_id: str, item: dict) -> Sale:
    _check_skus(item["lines"])
    scan = decode_scan(item["scan"]["filename"], item["scan"]["content_base64"]) if item.get("scan") else None
    data = ClaimData(invoice_number=item["invoice_number"], invoice_date=item["invoice_date"],
                     customer_name=item["customer_name"], customer_inn=item.get("customer_inn") or "",
                     lines=[LineData(line["sku"], line["quantity"], line["unit_price_kopecks"])
                            for line in item["lines"]], lead_id=named_lead(current_key().company_id, item))
    return Sale(external_id=external_id, seller_email=item["seller_email"], claim=data, scan=scan)


# --- partner systems: claims -----------------------------------------------------------------------


@bp.post("/claims")
@requires("claims:write")
@bp.doc(summary=N_("Submit the claim of one sales document."), **IDEMPOTENCY)
@bp.arguments(schemas.ClaimIn)
@bp.response(201, schemas.ClaimOut, description=N_("Created (a draft awaiting its scan when none was sent)."))
@bp.alt_response(200, schema=schemas.ClaimOut, description=N_("This document id is known: its claim."))
def create_claim(body):
    claim, created = submit_sale(company_only(), _sale(external_id_of(body), body))
    return _present([claim])[0], create_status(created)


@bp.post("/claims/batch")
@requires("claims:write")
@bp.doc(summary=N_("Submit up to 500 documents; each gets its own result, the good ones are kept."),
        description=N_("Each item is checked and saved on its own: a bad item gets status 422 and its errors, the "
                       "others are created (201) or found by their document id (200). The whole batch is refused "
                       "(422) only when it is not a list of 1 to 500 items."), **IDEMPOTENCY)
@bp.arguments(schemas.BatchIn)
@bp.response(200, schemas.BatchOut, description=BATCH_RESPONSES[200])
@bp.alt_response(207, schema=schemas.BatchOut, description=BATCH_RESPONSES[207])
def create_claims(body):
    company_id = company_only()
    known: dict = {}
    sellers: dict = {}
    outcomes = create_each(body["claims"], schemas.ClaimIn(), lambda external_id, item: submit_sale(
        company_id, _sale(external_id, item), sellers, known), before=lambda ids: known.update(
        known_claims(company_id, ids)))
    made = _present([o.obj for o in outcomes if o.obj is not None])
    answer, status = batch_answer(outcomes, "claim", awaiting_scan=sum(1 for c in made if c.scan_required))
    for result in answer["results"]:
        result["claim_id"] = result["id"]
        result["scan_required"] = bool(result["claim"] is not None and result["claim"].scan_required)
    return answer, status


@bp.post("/claims/<int:claim_id>/scan")
@requires("claims:write")
@bp.doc(summary=N_("Attach the invoice scan to a draft made through the API; the claim then goes to review."),
        **IDEMPOTENCY)
@bp.arguments(schemas.ScanUpload, location="files")
@bp.response(200, schemas.ClaimOut)
def upload_scan(files, claim_id):
    company_only()
    claim = _visible_claim(claim_id)
    attach_scan(claim, *read_upload(files, "scan", "scan"))
    return _present([claim])[0]


@bp.get("/claims")
@requires("claims:read", "queue:read")
@bp.doc(summary=N_("Claims with their status and awards, newest first."))
@bp.arguments(schemas.ClaimQuery, location="query")
@bp.response(200, schemas.ClaimPage)
def list_claims(args):
    items, cursor = company_page(select(Claim).options(*_claim_options()), Claim, ClaimReference.claim_id, args)
    return {"items": _present(items), "next_cursor": cursor}


@bp.get("/claims/<int:claim_id>")
@requires("claims:read", "queue:read")
@bp.doc(summary=N_("One claim with its lines, status and awards."))
@bp.response(200, schemas.ClaimOut)
def get_claim(claim_id):
    return _visible_claim(claim_id)


# --- people and points -----------------------------------------------------------------------------


def _participants_query(args):
    key = current_key()
    query = select(User).where(User.role.in_(PARTNER_ROLES))
    if key.company_id is not None:
        return query.where(User.company_id == key.company_id)
    if args.get("company_id"):
        query = query.where(User.company_id == args["company_id"])
    return query


def _visible_participant(user_id: int) -> User:
    person = get_or_404(User, user_id)
    key = current_key()
    if person.role not in PARTNER_ROLES or (key.company_id is not None and person.company_id != key.company_id):
        abort(404)
    person.balance = ledger.balances_of(person.id)
    return person


@bp.get("/participants")
@requires("points:read", "participants:read")
@bp.arguments(schemas.ParticipantQuery, location="query")
@bp.response(200, schemas.ParticipantPage)
@bp.doc(summary=N_("Participants (the company's own, for a company key) with their balances."))
def list_participants(args):
    items, cursor = page(_participants_query(args), User.id, args, descending=False)
    for person in items:
        person.balance = ledger.balances_of(person.id)
    return {"items": items, "next_cursor": cursor}


@bp.get("/participants/<int:user_id>")
@requires("points:read", "participants:read")
@bp.response(200, schemas.ParticipantOut)
@bp.doc(summary=N_("One participant with their balance."))
def get_participant(user_id):
    return _visible_participant(user_id)


@bp.get("/participants/<int:user_id>/statement")
@requires("points:read", "participants:read")
@bp.arguments(schemas.PageQuery, location="query")
@bp.response(200, schemas.StatementPage)
@bp.doc(summary=N_("The participant's points statement, newest first."))
def get_statement(args, user_id):
    person = _visible_participant(user_id)
    entries, cursor = page(statement_query(person.id), LedgerEntry.id, args)
    items = [{"id": e.id, "created_at": e.transaction.created_at, "kind": e.transaction.kind,
              "description": describe(e.transaction), "points": e.amount, "balance_after": e.balance_after}
             for e in entries]
    return {"balance": person.balance, "items": items, "next_cursor": cursor}


# --- catalogue -------------------------------------------------------------------------------------


@bp.get("/products")
@requires("catalogue:read")
@bp.arguments(schemas.PageQuery, location="query")
@bp.response(200, schemas.ProductPage)
@bp.doc(summary=N_("The products the program rewards: claim lines name them by SKU."))
def list_products(args):
    items, cursor = page(select(Product), Product.id, args, descending=False)
    return {"items": items, "next_cursor": cursor}


# --- the program team: review queue and orders -----------------------------------------------------


@bp.get("/queue")
@requires("queue:read")
@bp.arguments(schemas.QueueQuery, location="query")
@bp.response(200, schemas.ClaimPage)
@bp.doc(summary=N_("Claims awaiting review, oldest first."))
def review_queue(args):
    query = select(Claim).where(Claim.status == SUBMITTED).options(*_claim_options())
    if args.get("company_id"):
        query = query.where(Claim.company_id == args["company_id"])
    if args.get("flagged"):
        query = query.where(Claim.possible_duplicate.is_(True))
    items, cursor = page(query, Claim.id, args, descending=False)
    return {"items": _present(items), "next_cursor": cursor}


def _already_decided(claim: Claim) -> StateConflict:
    return StateConflict(_l("Claim #%(id)s is %(status)s: only a submitted claim can be approved or rejected.",
                            id=claim.id, status=claim.status_label.lower()), claim, claim.status_label)


def _decide(claim_id: int, action):
    key = current_key()
    if key.company_id is not None:
        abort(404)
    claim = decide(_visible_claim(claim_id), (SUBMITTED,), action, key.created_by, _already_decided)
    notifications.send_decision(claim)  # into the outbox, committed with the decision
    return _present([claim])[0]


@bp.post("/claims/<int:claim_id>/approve")
@requires("claims:review")
@bp.doc(**IDEMPOTENCY)
@bp.response(200, schemas.ClaimOut)
@bp.alt_response(409, description=N_("The claim is decided already: the problem gives its current_status."))
@bp.doc(summary=N_("Approve a submitted claim: its points are credited through the earning rules."))
def approve_claim(claim_id):
    return _decide(claim_id, claims.approve_claim)


@bp.post("/claims/<int:claim_id>/reject")
@requires("claims:review")
@bp.doc(**IDEMPOTENCY)
@bp.arguments(schemas.RejectIn)
@bp.response(200, schemas.ClaimOut)
@bp.alt_response(409, description=N_("The claim is decided already: the problem gives its current_status."))
@bp.doc(summary=N_("Reject a submitted claim with a reason the participant will read."))
def reject_claim(body, claim_id):
    return _decide(claim_id, lambda claim, actor: claims.reject_claim(claim, actor, body["reason"]))


@bp.get("/orders")
@requires("orders:read")
@bp.arguments(schemas.OrderQuery, location="query")
@bp.response(200, schemas.OrderPage)
@bp.doc(summary=N_("Shop orders and their states, newest first."))
def list_orders(args):
    query = select(Order).options(selectinload(Order.lines).selectinload(OrderLine.prize))
    if args.get("status"):
        query = query.where(Order.status == args["status"])
    items, cursor = page(query, Order.id, args)
    return {"items": items, "next_cursor": cursor}


@bp.get("/orders/<int:order_id>")
@requires("orders:read")
@bp.response(200, schemas.OrderOut)
@bp.doc(summary=N_("One shop order with its lines and state."))
def get_order(order_id):
    return get_or_404(Order, order_id)


@bp.get("/me")
@bp.response(200, schemas.KeyOut)
@bp.doc(summary=N_("The key this request was made with: its name, company and scopes. Any key may call it."))
def whoami():
    return current_key()
