"""Claims from partner systems: one document (or a batch) through the same services as the claim form.

Each document carries the partner's own id; a document already known in the company returns its claim
instead of making a second one. Without a scan the claim waits as a draft until its scan is attached,
because the program reviews only claims with a scan (the same rule as the form).
"""

import base64
import binascii
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.auth.models import PARTNER_ROLES, User
from portal.claims import services as claims
from portal.claims.models import DRAFT, Claim
from portal.claims.scans import store_scan
from portal.core.errors import DomainError
from portal.extensions import db

from .models import ClaimReference

MAX_BATCH = 500


@dataclass
class Sale:
    """One partner document: what the claim form would receive, plus who sold and the document's id."""

    external_id: str
    seller_email: str
    claim: claims.ClaimData
    scan: tuple[str, bytes] | None = None  # (file name, content)


@dataclass
class ItemResult:
    index: int
    external_id: str
    result: str  # created, exists, error
    claim: Claim | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def claim_id(self):
        return self.claim.id if self.claim is not None else None

    @property
    def status(self):
        return self.claim.status if self.claim is not None else None


def decode_scan(filename: str, content_base64: str) -> tuple[str, bytes]:
    try:
        return filename, base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DomainError(_l("The scan is not valid base64."), field="scan") from exc


def find_claim(company_id: int, external_id: str) -> Claim | None:
    return db.session.scalar(
        select(Claim).join(ClaimReference, ClaimReference.claim_id == Claim.id)
        .where(ClaimReference.company_id == company_id, ClaimReference.external_id == external_id)
    )


def external_ids(claim_ids: list[int]) -> dict[int, str]:
    if not claim_ids:
        return {}
    rows = db.session.execute(select(ClaimReference.claim_id, ClaimReference.external_id)
                              .where(ClaimReference.claim_id.in_(claim_ids)))
    return dict(rows.all())


def find_seller(company_id: int, email: str) -> User:
    seller = db.session.scalar(select(User).where(User.email == (email or "").strip().lower(),
                                                  User.company_id == company_id))
    if seller is None or not seller.active or seller.role not in PARTNER_ROLES:
        raise DomainError(_l("No active participant of your company has this e-mail."), field="seller_email")
    return seller


def known_claims(company_id: int, ids: list[str]) -> dict[str, Claim]:
    """The claims of the documents already known in the company, by document id."""
    found: dict[str, Claim] = {}
    for start in range(0, len(ids), 500):
        rows = db.session.execute(
            select(ClaimReference.external_id, Claim).join(Claim, ClaimReference.claim_id == Claim.id)
            .where(ClaimReference.company_id == company_id, ClaimReference.external_id.in_(ids[start:start + 500])))
        found.update(dict(rows.all()))
    return found


def submit_sale(company_id: int, sale: Sale, sellers: dict | None = None,
                known: dict[str, Claim] | None = None) -> tuple[Claim, bool]:
    """Make the claim of one document; (claim, created). A known document id returns its claim unchanged.

    `sellers` and `known` are caches a batch passes in (known: every known document of the batch).
    """
    existing = known.get(sale.external_id) if known is not None else find_claim(company_id, sale.external_id)
    if existing is not None:
        return existing, False
    key = (sale.seller_email or "").strip().lower()
    seller = sellers.get(key) if sellers is not None else None
    if seller is None:
        seller = find_seller(company_id, key)
        if sellers is not None:
            sellers[key] = seller
    scan = store_scan(*sale.scan) if sale.scan else None
    claim = claims.save_draft(seller, sale.claim, scan=scan)
    claims.check_invoice_date(claim.invoice_date)  # a claim that could never be submitted is refused now
    db.session.add(ClaimReference(company_id=company_id, external_id=sale.external_id, claim_id=claim.id))
    db.session.flush()
    if scan is not None:
        claims.submit_claim(claim, seller)
    return claim, True


def attach_scan(claim: Claim, filename: str, content: bytes) -> Claim:
    """Attach the scan to a draft made through the API, and send it for review."""
    if claim.status != DRAFT:
        raise DomainError(_l("A submitted claim cannot be changed."), field="scan")
    claim.scan_path, claim.scan_filename, claim.scan_mimetype = store_scan(filename, content)
    db.session.flush()
    return claims.submit_claim(claim, claim.user)


def awaiting_scan(company_id: int | None, limit: int = 100) -> tuple[list[Claim], int]:
    """Drafts made from the API or a file import that still wait for their scans: (newest first, how many)."""
    from sqlalchemy import func
    from sqlalchemy.orm import selectinload

    where = [Claim.status == DRAFT, Claim.scan_path.is_(None)]
    if company_id is not None:
        where.append(ClaimReference.company_id == company_id)
    base = select(Claim).join(ClaimReference, ClaimReference.claim_id == Claim.id).where(*where)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    items = db.session.scalars(base.options(selectinload(Claim.user), selectinload(Claim.company))
                               .order_by(Claim.id.desc()).limit(limit)).all()
    return list(items), total


def submit_batch(company_id: int, sales: list[Sale]) -> list[ItemResult]:
    """Each document on its own: the good ones are made, each bad one says why. Nothing commits here."""
    if len(sales) > MAX_BATCH:
        raise DomainError(_l("At most %(n)s claims in one batch.", n=MAX_BATCH), field="claims")
    results, seen, sellers = [], {}, {}
    known = known_claims(company_id, [sale.external_id for sale in sales])
    for index, sale in enumerate(sales):
        if sale.external_id in seen:
            results.append(ItemResult(index, sale.external_id, "error", errors={"external_id": [
                str(_l("The same document id as item %(n)s.", n=seen[sale.external_id]))]}))
            continue
        seen[sale.external_id] = index
        try:
            with db.session.begin_nested():
                claim, created = submit_sale(company_id, sale, sellers, known)
        except DomainError as exc:
            results.append(ItemResult(index, sale.external_id, "error",
                                      errors={exc.field or "_request": [str(exc.message)]}))
        else:
            results.append(ItemResult(index, sale.external_id, "created" if created else "exists", claim))
    return results
