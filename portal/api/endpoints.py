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
from portal.ledger import services as ledger
from portal.ledger.descriptions import describe
from portal.ledger.models import LedgerEntry
from portal.ledger.reports import statement_query
from portal.products.models import Product
from portal.shop.models import Order, OrderLine

from . import schemas
from .blueprint import bp, current_key, get_or_404, page, requires
from .claim_leads import named_lead
from .models import ClaimReference
from .submissions import Sale, attach_scan, decode_scan, external_ids, submit_batch, submit_sale

IDEMPOTENCY = {"parameters": [{
    "in": "header", "name": "Idempotency-Key", "required": False, "schema": {"type": "string", "maxLength": 255},
    "description": "Repeat a POST safely: the same key with the same body returns the first response.",
}]}


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
    """A claim the key may read: its own company's (company keys) or any (program keys)."""
    claim = get_or_404(Claim, claim_id)
    key = current_key()
    if key.company_id is not None and claim.company_id != key.company_id:
        abort(404)
    return _present([claim])[0]


def _sale(item: dict) -> Sale:
    scan = decode_scan(item["scan"]["filename"], item["scan"]["content_base64"]) if item.get("scan") else None
    data = ClaimData(invoice_number=item["invoice_number"], invoice_date=item["invoice_date"],
                     customer_name=item["customer_name"], customer_inn=item.get("customer_inn") or "",
                     lines=[LineData(line["sku"], line["quantity"], line["unit_price_kopecks"])
                            for line in item["lines"]], lead_id=named_lead(current_key().company_id, item))
    external_id = item["external_id"].strip()
    if not external_id:
        raise DomainError(_l("Give your document id."), field="external_id")
    return Sale(external_id=external_id, seller_email=item["seller_email"], claim=data, scan=scan)


def _company_only():
    if current_key().company_id is None:
        abort(404)  # company endpoints have nothing for a program-wide key
    return current_key().company_id


# --- partner systems: claims -----------------------------------------------------------------------


@bp.post("/claims")
@requires("claims:write")
@bp.doc(**IDEMPOTENCY)
@bp.arguments(schemas.ClaimIn)
@bp.response(201, schemas.ClaimOut, description="Created (a draft awaiting its scan when none was sent).")
@bp.alt_response(200, schema=schemas.ClaimOut, description="This document id is known: its claim.")
def create_claim(body):
    """Submit the claim of one sales document."""
    claim, created = submit_sale(_company_only(), _sale(body))
    return _present([claim])[0], 201 if created else 200


@bp.post("/claims/batch")
@requires("claims:write")
@bp.doc(**IDEMPOTENCY)
@bp.arguments(schemas.BatchIn)
@bp.response(200, schemas.BatchOut)
def create_claims(body):
    """Submit up to 500 documents; each gets its own result, the good ones are kept."""
    company_id = _company_only()
    sales, results, broken = [], [], {}
    for index, item in enumerate(body["claims"]):
        try:
            sales.append(_sale(item))
        except DomainError as exc:
            broken[index] = (item["external_id"], {exc.field or "_request": [str(exc.message)]})
            sales.append(None)
    done = iter(submit_batch(company_id, [s for s in sales if s is not None]))
    for index, sale in enumerate(sales):
        if sale is None:
            external_id, errors = broken[index]
            results.append({"index": index, "external_id": external_id, "result": "error", "errors": errors,
                            "claim_id": None, "status": None, "scan_required": False})
        else:
            item = next(done)
            waiting = item.claim is not None and item.claim.status == DRAFT and not item.claim.scan_path
            results.append({"index": index, "external_id": item.external_id, "result": item.result,
                            "claim_id": item.claim_id, "status": item.status, "scan_required": waiting,
                            "errors": item.errors or None})
    count = {kind: sum(1 for r in results if r["result"] == kind) for kind in ("created", "exists", "error")}
    return {"created": count["created"], "existing": count["exists"], "failed": count["error"],
            "awaiting_scan": sum(1 for r in results if r["scan_required"]), "results": results}


@bp.post("/claims/<int:claim_id>/scan")
@requires("claims:write")
@bp.doc(**IDEMPOTENCY)
@bp.arguments(schemas.ScanUpload, location="files")
@bp.response(200, schemas.ClaimOut)
def upload_scan(files, claim_id):
    """Attach the invoice scan to a draft made through the API; the claim then goes to review."""
    _company_only()
    claim = _visible_claim(claim_id)
    upload = files["scan"]
    attach_scan(claim, upload.filename or "scan", upload.read())
    return _present([claim])[0]


@bp.get("/claims")
@requires("claims:read", "queue:read")
@bp.arguments(schemas.ClaimQuery, location="query")
@bp.response(200, schemas.ClaimPage)
def list_claims(args):
    """Claims with their status and awards, newest first."""
    key = current_key()
    query = select(Claim).options(*_claim_options())
    if key.company_id is not None:
        query = query.where(Claim.company_id == key.company_id)
    elif args.get("company_id"):
        query = query.where(Claim.company_id == args["company_id"])
    if args.get("status"):
        query = query.where(Claim.status == args["status"])
    if args.get("external_id"):
        query = query.join(ClaimReference, ClaimReference.claim_id == Claim.id).where(
            ClaimReference.external_id == args["external_id"])
    items, cursor = page(query, Claim.id, args)
    return {"items": _present(items), "next_cursor": cursor}


@bp.get("/claims/<int:claim_id>")
@requires("claims:read", "queue:read")
@bp.response(200, schemas.ClaimOut)
def get_claim(claim_id):
    """One claim with its lines, status and awards."""
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
def list_participants(args):
    """Participants (the company's own, for a company key) with their balances."""
    items, cursor = page(_participants_query(args), User.id, args, descending=False)
    for person in items:
        person.balance = ledger.balances_of(person.id)
    return {"items": items, "next_cursor": cursor}


@bp.get("/participants/<int:user_id>")
@requires("points:read", "participants:read")
@bp.response(200, schemas.ParticipantOut)
def get_participant(user_id):
    """One participant with their balance."""
    return _visible_participant(user_id)


@bp.get("/participants/<int:user_id>/statement")
@requires("points:read", "participants:read")
@bp.arguments(schemas.PageQuery, location="query")
@bp.response(200, schemas.StatementPage)
def get_statement(args, user_id):
    """The participant's points statement, newest first."""
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
def list_products(args):
    """The products the program rewards: claim lines name them by SKU."""
    items, cursor = page(select(Product), Product.id, args, descending=False)
    return {"items": items, "next_cursor": cursor}


# --- the program team: review queue and orders -----------------------------------------------------


@bp.get("/queue")
@requires("queue:read")
@bp.arguments(schemas.QueueQuery, location="query")
@bp.response(200, schemas.ClaimPage)
def review_queue(args):
    """Claims awaiting review, oldest first."""
    query = select(Claim).where(Claim.status == SUBMITTED).options(*_claim_options())
    if args.get("company_id"):
        query = query.where(Claim.company_id == args["company_id"])
    if args.get("flagged"):
        query = query.where(Claim.possible_duplicate.is_(True))
    items, cursor = page(query, Claim.id, args, descending=False)
    return {"items": _present(items), "next_cursor": cursor}


def _decide(claim_id: int, action):
    key = current_key()
    if key.company_id is not None:
        abort(404)
    claim = _visible_claim(claim_id)
    action(claim, key.created_by)
    notifications.send_decision(claim)  # into the outbox, committed with the decision
    return _present([claim])[0]


@bp.post("/claims/<int:claim_id>/approve")
@requires("claims:review")
@bp.doc(**IDEMPOTENCY)
@bp.response(200, schemas.ClaimOut)
def approve_claim(claim_id):
    """Approve a submitted claim: its points are credited through the earning rules."""
    return _decide(claim_id, claims.approve_claim)


@bp.post("/claims/<int:claim_id>/reject")
@requires("claims:review")
@bp.doc(**IDEMPOTENCY)
@bp.arguments(schemas.RejectIn)
@bp.response(200, schemas.ClaimOut)
def reject_claim(body, claim_id):
    """Reject a submitted claim with a reason the participant will read."""
    return _decide(claim_id, lambda claim, actor: claims.reject_claim(claim, actor, body["reason"]))


@bp.get("/orders")
@requires("orders:read")
@bp.arguments(schemas.OrderQuery, location="query")
@bp.response(200, schemas.OrderPage)
def list_orders(args):
    """Shop orders and their states, newest first."""
    query = select(Order).options(selectinload(Order.lines).selectinload(OrderLine.prize))
    if args.get("status"):
        query = query.where(Order.status == args["status"])
    items, cursor = page(query, Order.id, args)
    return {"items": items, "next_cursor": cursor}


@bp.get("/orders/<int:order_id>")
@requires("orders:read")
@bp.response(200, schemas.OrderOut)
def get_order(order_id):
    """One shop order with its lines and state."""
    return get_or_404(Order, order_id)


@bp.get("/me")
@bp.response(200, schemas.KeyOut)
def whoami():
    """The key this request was made with: its name, company and scopes. Any key may call it."""
    return current_key()
