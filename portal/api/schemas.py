"""Request and response schemas of /api/v1 (marshmallow; the OpenAPI document is generated from them)."""

from datetime import UTC

import marshmallow as ma
from flask import g
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from portal.claims.models import STATUSES
from portal.fraud.services import risk_summary
from portal.leads.services import claim_lead_share
from portal.shop.models import STATUSES as ORDER_STATUSES

from .claim_leads import lead_external_id
from .reference import N_

MAX_ID = 2**31 - 1
MAX_LINES = 50
MAX_BATCH = 500
MONEY = validate.Range(min=1, max=10**12)


class Text(fields.String):
    """A string without NUL characters (PostgreSQL cannot store them)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ma.ValidationError("Not a valid string.")
        return text


class UtcDateTime(fields.DateTime):
    """Stored naive in UTC; written with its offset, as RFC 3339 wants."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class BoundedList(fields.List):
    """A list whose length is checked before its items: a document of 200,000 lines is refused at once, with the
    limit, instead of after 200,000 line checks."""

    def __init__(self, inner, *, min_items: int = 1, max_items: int, **kwargs):
        self.max_items = max_items
        self.length = validate.Length(min_items, max_items)
        super().__init__(inner, validate=self.length, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list | tuple):
            self.length(value)
        return super()._deserialize(value, attr, data, **kwargs)


class Envelope(BoundedList):
    """The items of a batch: the envelope checks it is a list of at most `max_items`; each item is validated on
    its own by the endpoint (shapes.create_each), so a bad item fails alone. Documented as a list of `inner`."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list | tuple):
            raise self.make_error("invalid")
        self.length(value)
        return list(value)


class StrictSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class QuerySchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE


class Problem(ma.Schema):
    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    current_status = fields.String(metadata={"description": N_("A conflict with the object's state (409): its "
                                                               "current status.")})
    current_status_label = fields.String(metadata={"description": N_("The current status, in words.")})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": N_("Messages per field, e.g. {\"lines.0.sku\": [\"...\"]}")})


# --- claims in -------------------------------------------------------------------------------------


class LineIn(StrictSchema):
    sku = Text(required=True, validate=validate.Length(1, 64))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(1, 100_000))
    unit_price_kopecks = fields.Integer(required=True, strict=True, validate=MONEY,
                                        metadata={"description": N_("Price of one unit in kopecks (1 RUB = 100).")})


class ScanIn(StrictSchema):
    filename = Text(required=True, validate=validate.Length(1, 200))
    content_base64 = Text(required=True, validate=validate.Length(1, 14_000_000),
                                   metadata={"description": N_("PDF, JPEG or PNG, up to 10 MB, base64-encoded.")})


class ClaimIn(StrictSchema):
    external_id = Text(required=True, validate=validate.Length(1, 100),
                                metadata={"description": N_("Your document id (e.g. the 1C document GUID): "
                                                         "one claim per id in your company, resends are safe.")})
    seller_email = fields.Email(required=True, validate=validate.Length(max=254),
                                metadata={"description": N_("The participant of your company who made the sale.")})
    invoice_number = Text(required=True, validate=validate.Length(1, 64))
    invoice_date = fields.Date(required=True)
    customer_name = Text(required=True, validate=validate.Length(1, 200))
    customer_inn = Text(load_default="", validate=validate.Length(max=12))
    lines = BoundedList(fields.Nested(LineIn), required=True, max_items=MAX_LINES)
    scan = fields.Nested(ScanIn, load_default=None,
                         metadata={"description": N_("Optional: the scan now, or later with POST /claims/{id}/scan.")})
    lead_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID),
                             metadata={"description": N_("The lead this sale closes. Without it (and without "
                                                         "lead_external_id) the claim is linked to the company's "
                                                         "qualified or won lead with the same customer INN, if any.")})
    lead_external_id = Text(load_default=None, validate=validate.Length(1, 100),
                            metadata={"description": N_("The lead this sale closes, by your own id of the lead.")})


class BatchIn(StrictSchema):
    claims = Envelope(fields.Nested(ClaimIn), required=True, max_items=MAX_BATCH)


class ScanUpload(ma.Schema):
    scan = Upload(required=True, metadata={"description": N_("PDF, JPEG or PNG, up to 10 MB.")})


class RejectIn(StrictSchema):
    reason = Text(required=True, validate=validate.Length(1, 500))


# --- claims out ------------------------------------------------------------------------------------


class LineOut(ma.Schema):
    sku = fields.Function(lambda line: line.product.sku, metadata={"type": "string"})
    name = fields.Function(lambda line: line.product.name, metadata={"type": "string"})
    quantity = fields.Integer()
    unit_price_kopecks = fields.Integer()


class AwardOut(ma.Schema):
    rule = fields.Function(lambda award: award.rule.name if award.rule else None, allow_none=True,
                           metadata={"type": "string"})
    points = fields.Integer()


def _risk_for_program(claim):
    """The fraud risk for the program team's keys only; a company's own key never sees it."""
    key = g.get("api_key")
    return risk_summary(claim) if key is not None and key.company_id is None else None


class ClaimOut(ma.Schema):
    id = fields.Integer()
    external_id = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": list(STATUSES)})
    status_label = fields.String()
    scan_required = fields.Boolean(metadata={"description": N_("A draft waits for its scan to go to review.")})
    seller_id = fields.Integer(attribute="user_id")
    seller_email = fields.Function(lambda claim: claim.user.email, metadata={"type": "string"})
    company_id = fields.Integer()
    invoice_number = fields.String()
    invoice_date = fields.Date()
    customer_name = fields.String()
    customer_inn = fields.String(allow_none=True)
    total_kopecks = fields.Integer()
    points = fields.Integer(allow_none=True, metadata={"description": N_("Credited on approval.")})
    possible_duplicate = fields.Boolean()
    rejection_reason = fields.String(allow_none=True)
    created_at = UtcDateTime()
    submitted_at = UtcDateTime(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    lines = fields.List(fields.Nested(LineOut))
    awards = fields.List(fields.Nested(AwardOut))
    lead_id = fields.Integer(allow_none=True, metadata={"description": N_("The lead this sale closes.")})
    lead_external_id = fields.Function(lambda claim: lead_external_id(claim.lead_id), allow_none=True,
                                       metadata={"type": "string", "description": N_("Your own id of that lead.")})
    lead_share = fields.Function(lambda claim: claim_lead_share(claim), allow_none=True, metadata={
        "type": "integer", "description": N_("The lead's share of the sale in points: credited on approval, expected "
                                             "while the claim is a draft or under review; null without a lead.")})
    risk = fields.Function(_risk_for_program, allow_none=True, metadata={
        "type": "object",
        "description": N_("Program keys only: the risk score (0-100), whether the claim is held for a second reviewer "
                          "or decided as fraud, and its strongest signals (code, weight, text, other claims).")})


class ClaimPage(ma.Schema):
    items = fields.List(fields.Nested(ClaimOut))
    next_cursor = fields.String(allow_none=True, metadata={"description": N_("Pass as `cursor` for the next page.")})


class BatchItemOut(ma.Schema):
    """One item's result in a batch; the claims' and the leads' add their object."""

    index = fields.Integer()
    external_id = fields.String(allow_none=True)
    status = fields.Integer(metadata={"description": N_("201 created, 200 already known (its object), 422 "
                                                        "invalid (see errors), 409 saved at the same time by "
                                                        "another request (send it again).")})
    result = fields.String(metadata={"enum": ["created", "exists", "error"]})
    id = fields.Integer(allow_none=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), allow_none=True)


class ClaimBatchItemOut(BatchItemOut):
    claim_id = fields.Integer(allow_none=True, metadata={"description": N_("The same as id.")})
    scan_required = fields.Boolean(metadata={"description": N_("The claim is a draft waiting for its scan (POST "
                                                               "/claims/{id}/scan, or its seller in the browser).")})
    claim = fields.Nested(ClaimOut, allow_none=True)


class BatchOut(ma.Schema):
    created = fields.Integer()
    existing = fields.Integer()
    failed = fields.Integer()
    awaiting_scan = fields.Integer(metadata={"description": N_("How many of the batch's claims wait for their "
                                                               "scans.")})
    results = fields.List(fields.Nested(ClaimBatchItemOut))


# --- queries ---------------------------------------------------------------------------------------


class PageQuery(QuerySchema):
    cursor = Text(validate=validate.Length(max=64))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class ClaimQuery(PageQuery):
    status = Text(validate=validate.OneOf(STATUSES))
    external_id = Text(validate=validate.Length(1, 100))
    company_id = fields.Integer(validate=validate.Range(1, MAX_ID),
                                metadata={"description": N_("Program keys only; a company key always sees its own.")})


class QueueQuery(PageQuery):
    company_id = fields.Integer(validate=validate.Range(1, MAX_ID))
    flagged = fields.Boolean(metadata={"description": N_("Only possible duplicates.")})


class ParticipantQuery(PageQuery):
    company_id = fields.Integer(validate=validate.Range(1, MAX_ID),
                                metadata={"description": N_("Program keys only; a company key always sees its own.")})


class OrderQuery(PageQuery):
    status = Text(validate=validate.OneOf(ORDER_STATUSES))


# --- people, points, products, orders --------------------------------------------------------------


class BalanceOut(ma.Schema):
    available = fields.Integer()
    held = fields.Integer()
    debt = fields.Integer()


class ParticipantOut(ma.Schema):
    id = fields.Integer()
    email = fields.String()
    full_name = fields.String()
    company_id = fields.Integer(allow_none=True)
    audience = fields.String(allow_none=True)
    active = fields.Boolean()
    balance = fields.Nested(BalanceOut)


class ParticipantPage(ma.Schema):
    items = fields.List(fields.Nested(ParticipantOut))
    next_cursor = fields.String(allow_none=True)


class StatementEntryOut(ma.Schema):
    id = fields.Integer()
    created_at = UtcDateTime()
    kind = fields.String()
    description = fields.String()
    points = fields.Integer()
    balance_after = fields.Integer()


class StatementPage(ma.Schema):
    balance = fields.Nested(BalanceOut)
    items = fields.List(fields.Nested(StatementEntryOut))
    next_cursor = fields.String(allow_none=True)


class ProductOut(ma.Schema):
    id = fields.Integer()
    sku = fields.String()
    name = fields.String()
    category = fields.String()
    list_price_kopecks = fields.Integer()
    active = fields.Boolean()


class ProductPage(ma.Schema):
    items = fields.List(fields.Nested(ProductOut))
    next_cursor = fields.String(allow_none=True)


class OrderLineOut(ma.Schema):
    prize_id = fields.Integer()
    name = fields.Function(lambda line: line.prize.name, metadata={"type": "string"})
    quantity = fields.Integer()
    price_points = fields.Integer()


class OrderOut(ma.Schema):
    id = fields.Integer()
    participant_id = fields.Integer(attribute="user_id")
    status = fields.String(metadata={"enum": list(ORDER_STATUSES)})
    status_label = fields.String()
    points = fields.Integer()
    card_kopecks = fields.Integer()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    lines = fields.List(fields.Nested(OrderLineOut))


class OrderPage(ma.Schema):
    items = fields.List(fields.Nested(OrderOut))
    next_cursor = fields.String(allow_none=True)


class KeyOut(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String()
    company_id = fields.Integer(allow_none=True)
    scopes = fields.Function(lambda key: sorted(key.scope_set), metadata={"type": "array",
                                                                          "items": {"type": "string"}})
