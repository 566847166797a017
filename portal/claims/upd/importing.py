"""A UPD made into a claim: the seller must be the participant's company, each line becomes a catalogue product
(by SKU, then by the company's mapping), and a line no product matches is shown for the participant to map,
never dropped. The reviewer sees the document beside the claim, with what differs."""

from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.auth.models import User
from portal.claims.models import Claim
from portal.claims.services import ClaimData, LineData, check_invoice_date, invoice_key
from portal.claims.services.drafting import company_of_sale
from portal.core.errors import DomainError
from portal.core.formatting import rub
from portal.products.models import Product

from .mapping import article_key, products_by_article
from .reader import UpdDocument, UpdError, UpdLine, read_upd

UPD_MIMETYPE = "application/xml"


@dataclass
class MappedLine:
    line: UpdLine
    product: Product | None
    via: str | None = None  # "sku" or "mapping"

    @property
    def label(self) -> str:
        return f"{self.line.article or '—'} «{self.line.name}»"


@dataclass
class UpdDraft:
    document: UpdDocument
    lines: list[MappedLine]
    company_id: int

    @property
    def unmapped(self) -> list[MappedLine]:
        return [line for line in self.lines if line.product is None]


def map_lines(company_id: int, document: UpdDocument) -> list[MappedLine]:
    found = products_by_article(company_id, [line.article for line in document.lines])
    mapped = []
    for line in document.lines:
        product, via = found.get(article_key(line.article), (None, None))
        mapped.append(MappedLine(line, product, via))
    return mapped


def draft_from_upd(user: User, document: UpdDocument) -> UpdDraft:
    """Check a UPD for a claim of `user`: their company sold it, it may be claimed now, its quantities are whole
    units; and map its lines. Raises DomainError in words."""
    company = company_of_sale(user, document.date)
    if company is None or document.seller_inn != company.inn:
        raise UpdError(_l("The UPD's seller (INN %(inn)s) is not your company (INN %(own)s): claim only your "
                          "company's sales.", inn=document.seller_inn, own=company.inn if company else "—"))
    try:
        check_invoice_date(document.date)
    except DomainError as exc:
        raise UpdError(exc.message) from exc
    for line in document.lines:
        if line.quantity != line.quantity.to_integral_value():
            raise UpdError(_l("Line %(n)s of the UPD has %(q)s units: sales are claimed in whole units.",
                              n=line.number, q=line.quantity))
        if not line.unit_gross_kopecks or line.unit_gross_kopecks <= 0:
            raise UpdError(_l("Line %(n)s of the UPD has no price.", n=line.number))
    return UpdDraft(document, map_lines(company.id, document), company.id)


def unmapped_message(draft: UpdDraft):
    return _l("No product of the catalogue for these lines of the UPD: %(lines)s. Choose the product for each on "
              "the claim form once: the portal remembers it for your company.",
              lines="; ".join(line.label for line in draft.unmapped))


def claim_data(draft: UpdDraft, lead_id=None) -> ClaimData:
    """The claim of a UPD whose every line is mapped (else DomainError naming the unmapped articles)."""
    if draft.unmapped:
        raise DomainError(unmapped_message(draft), field="lines")
    document = draft.document
    return ClaimData(
        invoice_number=document.number, invoice_date=document.date,
        customer_name=document.customer_name or document.customer_inn, customer_inn=document.customer_inn,
        lines=[LineData(m.product.sku, int(m.line.quantity), m.line.unit_gross_kopecks, article=m.line.article)
               for m in draft.lines],
        lead_id=lead_id,
    )


# --- the reviewer's view --------------------------------------------------------------------------------------


@dataclass
class UpdView:
    document: UpdDocument
    lines: list[MappedLine]
    differences: list[str] = field(default_factory=list)


def document_of(claim: Claim) -> UpdView | None:
    """The UPD a claim was made from (its scan is the file), read again, with what differs from the claim."""
    if claim.scan_mimetype != UPD_MIMETYPE or not claim.scan_path:
        return None
    path = Path(current_app.config["UPLOAD_DIR"]) / "claims" / Path(claim.scan_path).name
    try:
        document = read_upd(path.read_bytes())
    except (OSError, DomainError):
        return None
    lines = map_lines(claim.company_id, document)
    return UpdView(document, lines, differences(claim, document, lines))


def differences(claim: Claim, document: UpdDocument, lines: list[MappedLine]) -> list[str]:
    """What the claim says otherwise than its UPD, in words for the reviewer."""
    found = []

    def differ(what, claimed, upd):
        found.append(str(_l("%(what)s: the claim says %(claimed)s, the UPD %(upd)s.", what=what, claimed=claimed,
                            upd=upd)))

    if invoice_key(claim.invoice_number) != invoice_key(document.number):
        differ(_l("Invoice number"), claim.invoice_number, document.number)
    if claim.invoice_date != document.date:
        differ(_l("Invoice date"), claim.invoice_date.strftime("%d.%m.%Y"), document.date.strftime("%d.%m.%Y"))
    if claim.seller_inn != document.seller_inn:
        differ(_l("Seller INN"), claim.seller_inn, document.seller_inn)
    if (claim.customer_inn or "") != document.customer_inn:
        differ(_l("Customer INN"), claim.customer_inn or "—", document.customer_inn or "—")
    claimed: dict[str, list[int]] = {}
    for line in claim.lines:
        entry = claimed.setdefault(line.product.sku, [0, 0])
        entry[0] += line.quantity
        entry[1] += line.revenue_kopecks
    in_upd: dict[str, list[int]] = {}
    for mapped in lines:
        if mapped.product is None:
            found.append(str(_l("Line %(n)s of the UPD (%(line)s) names no product of the catalogue.",
                                n=mapped.line.number, line=mapped.label)))
            continue
        entry = in_upd.setdefault(mapped.product.sku, [0, 0])
        entry[0] += int(mapped.line.quantity)
        entry[1] += mapped.line.gross_kopecks or 0
    for sku in sorted(claimed.keys() | in_upd.keys()):
        mine, theirs = claimed.get(sku, [0, 0]), in_upd.get(sku, [0, 0])
        # Prices are claimed per unit, rounded to the kopeck: a kopeck per unit is rounding, not a difference.
        if mine[0] != theirs[0] or abs(mine[1] - theirs[1]) > max(mine[0], theirs[0]):
            differ(sku, _l("%(q)s pcs for %(sum)s", q=mine[0], sum=rub(mine[1])),
                   _l("%(q)s pcs for %(sum)s", q=theirs[0], sum=rub(theirs[1])))
    units = sum(line.quantity for line in claim.lines)
    if abs(claim.total_kopecks - document.total_kopecks) > units:
        differ(_l("Total"), rub(claim.total_kopecks), rub(document.total_kopecks))
    return found


def read_for_claim(user: User, content: bytes) -> UpdDraft:
    """One UPD file checked for a claim of `user`."""
    return draft_from_upd(user, read_upd(content))


def is_upd(mimetype: str | None) -> bool:
    return mimetype == UPD_MIMETYPE


def product_label(product: Product | None) -> str:
    return f"{product.sku} — {product.name}" if product is not None else ""
