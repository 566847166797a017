"""Request and response schemas of the lead endpoints of /api/v1."""

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from portal.leads.models import STATUSES

from .reference import N_
from .schemas import MAX_BATCH, MAX_ID, BatchItemOut, Envelope, PageQuery, StrictSchema, Text, UtcDateTime

AMOUNT = validate.Range(min=1, max=10**15)


class LeadIn(StrictSchema):
    external_id = Text(required=True, validate=validate.Length(1, 100),
                       metadata={"description": N_("Your id of the lead (e.g. the CRM deal id): one lead per id in "
                                                "your company, resends are safe.")})
    participant_email = fields.Email(required=True, validate=validate.Length(max=254),
                                     metadata={"description": N_("The participant of your company who registers it.")})
    customer_name = Text(required=True, validate=validate.Length(1, 200))
    customer_inn = Text(required=True, validate=validate.Length(1, 20))
    customer_kpp = Text(load_default="", validate=validate.Length(max=12))
    region = Text(required=True, validate=validate.Length(1, 120))
    contact_name = Text(required=True, validate=validate.Length(1, 200))
    contact_phone = Text(load_default="", validate=validate.Length(max=40))
    contact_email = Text(load_default="", validate=validate.Length(max=254),
                         metadata={"description": N_("The phone or the e-mail of the contact is required.")})
    need = Text(required=True, validate=validate.Length(1, 1000))
    category = Text(load_default=None, allow_none=True, validate=validate.Length(max=100))
    estimated_kopecks = fields.Integer(required=True, strict=True, validate=AMOUNT,
                                       metadata={"description": N_("The deal's estimated amount in kopecks.")})
    expected_close_date = fields.Date(load_default=None, allow_none=True)
    channel_id = fields.Integer(required=True, strict=True, validate=validate.Range(1, MAX_ID),
                                metadata={"description": N_("Where the lead came from: GET /lead-channels.")})
    comment = Text(load_default="", validate=validate.Length(max=4000))


class LeadBatchIn(StrictSchema):
    leads = Envelope(fields.Nested(LeadIn), required=True, max_items=MAX_BATCH)


class FileUpload(ma.Schema):
    file = Upload(required=True, metadata={"description": N_("PDF, JPEG or PNG, up to 10 MB; up to 5 per lead.")})


class LeadRejectIn(StrictSchema):
    reason = Text(required=True, validate=validate.Length(1, 500),
                  metadata={"description": N_("The participant reads it.")})


class LeadCloseIn(StrictSchema):
    outcome = Text(required=True, validate=validate.OneOf(["won", "lost"]))
    note = Text(load_default="", validate=validate.Length(max=400))


class LeadQuery(PageQuery):
    status = Text(validate=validate.OneOf(STATUSES))
    external_id = Text(validate=validate.Length(1, 100))
    company_id = fields.Integer(validate=validate.Range(1, MAX_ID),
                                metadata={"description": N_("Program keys only; a company key always sees its own.")})


class LeadQueueQuery(PageQuery):
    company_id = fields.Integer(validate=validate.Range(1, MAX_ID))
    channel_id = fields.Integer(validate=validate.Range(1, MAX_ID))


class LeadEventOut(ma.Schema):
    action = fields.String()
    label = fields.String()
    note = fields.String(allow_none=True)
    created_at = UtcDateTime()


class LeadFileOut(ma.Schema):
    id = fields.Integer()
    filename = fields.String()
    mimetype = fields.String()
    created_at = UtcDateTime()


class LeadOut(ma.Schema):
    id = fields.Integer()
    external_id = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": list(STATUSES)})
    status_label = fields.String()
    conflict = fields.Boolean(metadata={"description": N_("Rejected at once: another lead holds the customer (another "
                                                   "partner's, or a colleague's: `notice` names the colleague).")})
    notice = fields.String(allow_none=True, metadata={"description": N_("What the web form would say.")})
    participant_id = fields.Integer(attribute="user_id")
    participant_email = fields.Function(lambda lead: lead.user.email, metadata={"type": "string"})
    company_id = fields.Integer()
    customer_name = fields.String()
    customer_inn = fields.String()
    customer_kpp = fields.String(allow_none=True)
    region = fields.String()
    contact_name = fields.String()
    contact_phone = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)
    need = fields.String()
    category = fields.String(allow_none=True)
    estimated_kopecks = fields.Integer()
    expected_close_date = fields.Date(allow_none=True)
    channel_id = fields.Integer()
    channel = fields.Function(lambda lead: lead.channel.name, metadata={"type": "string"})
    comment = fields.String(allow_none=True)
    rejection_reason = fields.String(allow_none=True)
    submitted_at = UtcDateTime()
    qualified_at = UtcDateTime(allow_none=True)
    protected_until = UtcDateTime(allow_none=True)
    closed_at = UtcDateTime(allow_none=True)
    extensions_used = fields.Integer()
    reward_points = fields.Integer()
    history = fields.List(fields.Nested(LeadEventOut), attribute="events")
    attachments = fields.List(fields.Nested(LeadFileOut))


class LeadPage(ma.Schema):
    items = fields.List(fields.Nested(LeadOut))
    next_cursor = fields.String(allow_none=True, metadata={"description": N_("Pass as `cursor` for the next page.")})


class ChannelOut(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    name_ru = fields.String()
    name_en = fields.String()


class ChannelList(ma.Schema):
    items = fields.List(fields.Nested(ChannelOut))


class LeadBatchItemOut(BatchItemOut):
    lead = fields.Nested(LeadOut, allow_none=True)


class LeadBatchOut(ma.Schema):
    created = fields.Integer()
    existing = fields.Integer()
    failed = fields.Integer()
    results = fields.List(fields.Nested(LeadBatchItemOut))
