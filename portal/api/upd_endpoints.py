"""POST /api/v1/claims/upd: claims from UPD e-invoices (one XML, or a ZIP of them), each checked like the form's
"Fill from a UPD": the seller must be the participant's company, every line must name a catalogue product (by
SKU or by the company's article mapping), and the file is kept as the claim's scan, so the claim goes to review.
"""

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from portal.claims.services import invoice_key
from portal.claims.upd import importing
from portal.claims.upd.reader import MAX_ZIP_TOTAL_BYTES, Entry, read_upload
from portal.core.errors import DomainError
from portal.extensions import db

from . import schemas
from .blueprint import MAX_ID, bp, requires
from .claim_leads import named_lead
from .endpoints import _present
from .reference import N_
from .shapes import IDEMPOTENCY, company_only
from .submissions import Sale, find_claim, find_seller, submit_sale


class UpdFile(ma.Schema):
    file = Upload(required=True, metadata={"description": N_("One UPD (XML, ON_NSCHFDOPPR, format 5.01 or 5.03, "
                                                             "windows-1251 or UTF-8) or a ZIP of up to 200 of them.")})


class UpdFields(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    seller_email = fields.Email(required=True, validate=validate.Length(max=254),
                                metadata={"description": N_("The participant of your company who made the sale(s).")})
    external_id = schemas.Text(load_default=None, validate=validate.Length(1, 100), metadata={
        "description": N_("Your document id (one XML only). Default: `upd:<seller INN>:<number>:<date>`, so "
                          "sending the same UPD again returns its claim.")})
    lead_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID),
                             metadata={"description": N_("The lead the sale closes (one XML only).")})
    lead_external_id = schemas.Text(load_default=None, validate=validate.Length(1, 100),
                                    metadata={"description": N_("The lead the sale closes, by your own id.")})


class UpdItemOut(ma.Schema):
    file = fields.String()
    result = fields.String(metadata={"enum": ["created", "exists", "error"]})
    claim = fields.Nested(schemas.ClaimOut, allow_none=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), allow_none=True)


class UpdOut(ma.Schema):
    created = fields.Integer()
    existing = fields.Integer()
    failed = fields.Integer()
    results = fields.List(fields.Nested(UpdItemOut))


def _document_id(entry: Entry) -> str:
    document = entry.document
    return f"upd:{document.seller_inn}:{invoice_key(document.number)}:{document.date.isoformat()}"[:100]


def _claim_of(company_id: int, entry: Entry, form: dict, single: bool):
    """The claim of one UPD of the upload: (claim, created). Raises DomainError in words."""
    if entry.error is not None:
        raise entry.error
    seller = find_seller(company_id, form["seller_email"])
    external_id = (form.get("external_id") or "").strip() if single else ""
    external_id = external_id or _document_id(entry)
    existing = find_claim(company_id, external_id)
    if existing is not None:
        return existing, False
    draft = importing.draft_from_upd(seller, entry.document)
    data = importing.claim_data(draft, lead_id=named_lead(company_id, form) if single else None)
    return submit_sale(company_id, Sale(external_id=external_id, seller_email=seller.email, claim=data,
                                        scan=(entry.name, entry.content)))


@bp.post("/claims/upd")
@requires("claims:write")
@bp.doc(summary=N_("Claim sales from UPD e-invoices (one XML or a ZIP)."),
        description=N_("A single UPD that cannot be claimed is answered 422 with the reason (a line whose article is "
                       "neither a catalogue SKU nor mapped by your company is named); in a ZIP each UPD gets its own "
                       "result and the good ones are kept."), **IDEMPOTENCY)
@bp.arguments(UpdFile, location="files")
@bp.arguments(UpdFields, location="form")
@bp.response(201, UpdOut, description=N_("One UPD: its claim was made (it goes to review: the UPD is its scan)."))
@bp.alt_response(200, schema=UpdOut, description=N_("A ZIP (each UPD with its own result), or a UPD already claimed."))
def create_claims_from_upd(files, form):
    """Claim sales from UPD e-invoices. A single UPD that cannot be claimed is answered 422 with the reason (a line
    whose article is neither a catalogue SKU nor mapped by your company is named); in a ZIP each UPD gets its own
    result and the good ones are kept."""
    company_id = company_only()
    upload = files["file"]
    content = upload.read(MAX_ZIP_TOTAL_BYTES + 1)
    if len(content) > MAX_ZIP_TOTAL_BYTES:
        raise DomainError(_l("The file is too large."), field="file")
    entries = read_upload(upload.filename or "upd.xml", content)
    single = len(entries) == 1 and not content.startswith(b"PK")
    if single:
        claim, created = _claim_of(company_id, entries[0], form, single=True)
        result = {"file": entries[0].name, "result": "created" if created else "exists",
                  "claim": _present([claim])[0], "errors": None}
        return {"created": int(created), "existing": int(not created), "failed": 0, "results": [result]}, (
            201 if created else 200)
    results = []
    for entry in entries:
        try:
            with db.session.begin_nested():  # a UPD that fails leaves nothing behind
                claim, created = _claim_of(company_id, entry, form, single=False)
        except DomainError as exc:
            results.append({"file": entry.name, "result": "error", "claim": None,
                            "errors": {exc.field or "_request": [str(exc.message)]}})
        else:
            results.append({"file": entry.name, "result": "created" if created else "exists",
                            "claim": _present([claim])[0], "errors": None})
    count = {kind: sum(1 for r in results if r["result"] == kind) for kind in ("created", "exists", "error")}
    return {"created": count["created"], "existing": count["exists"], "failed": count["error"],
            "results": results}, 200
