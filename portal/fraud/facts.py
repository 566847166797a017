"""The facts the signals read about one claim, in a few indexed queries (everything submitted before it)."""

from datetime import timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from portal.auth.models import User
from portal.claims.models import DRAFT, Claim, ClaimLine
from portal.claims.services.review import expected_awards
from portal.contests.models import CANCELLED, CLAIM_METRICS, Contest
from portal.contests.models import DRAFT as CONTEST_DRAFT
from portal.extensions import db
from portal.fraud.fingerprints import band_values, distance
from portal.fraud.models import ClaimRisk
from portal.fraud.signals import Facts, Line, invoice_number_value
from portal.partners.models import PartnerCompany
from portal.products.models import Product
from portal.rules.models import EarningRule

RECENT = 30  # how many of the company's latest invoices the sequence and the weekday habits read
USUAL_PRICE_DAYS = 180  # the company's usual price of a product: its lines of the last half year
COMPANY_TIMES = 2000  # at most this many of the company's claims of the last 90 days make its usual pace
DEADLINE_HOURS = 24
NEAR_BITS = 6  # pHashes at most this many bits apart are the same picture rescanned, cropped or recompressed
FRAUD_DECISIONS = 100_000  # more claims decided as fraud than this and the oldest stop counting as history
NEAR_TEXT_BITS = 6  # text simhashes at most this many bits apart: the same text with a few words changed


def _read(statement):
    """Columns, not entities: read through the session's connection (its transaction), without the ORM's loading
    machinery, which costs more than the indexed reads themselves. `gather` flushes once first."""
    return db.session.connection().execute(statement)


def _earlier(claim: Claim, moment):
    """Other claims sent for review no later than this one (so a replay of history scores as it happened)."""
    return and_(Claim.id != claim.id, Claim.status != DRAFT, Claim.submitted_at <= moment)


def gather(claim: Claim, risk: ClaimRisk, large_sale_kopecks: int) -> Facts:
    db.session.flush()  # what the reads below see (they go past the session's autoflush)
    moment = claim.submitted_at
    earlier = _earlier(claim, moment)
    lines = tuple(_read(
        select(ClaimLine.product_id, Product.sku, ClaimLine.quantity, ClaimLine.unit_price_kopecks,
               Product.list_price_kopecks).join(Product, Product.id == ClaimLine.product_id)
        .where(ClaimLine.claim_id == claim.id).order_by(ClaimLine.position)
    ).all())
    # The seller company's INN and the person's own company's (one read; the signals compare the customer with both).
    users_company = aliased(PartnerCompany)
    person = _read(
        select(User.created_at, users_company.inn, PartnerCompany.inn.label("company_inn")).select_from(User)
        .outerjoin(users_company, users_company.id == User.company_id)
        .outerjoin(PartnerCompany, PartnerCompany.id == claim.company_id)
        .where(User.id == claim.user_id)).first()
    own_inns = {claim.seller_inn, *((person.inn, person.company_inn) if person else ())} - {None}
    facts = Facts(
        claim_id=claim.id, user_id=claim.user_id, company_id=claim.company_id, seller_inn=claim.seller_inn,
        own_inns=frozenset(own_inns), customer_inn=claim.customer_inn,
        invoice_number=claim.invoice_number, invoice_date=claim.invoice_date, submitted_at=moment,
        total_kopecks=claim.total_kopecks, lines=tuple(Line(*row) for row in lines),
        large_sale_kopecks=large_sale_kopecks,
    )
    _documents(facts, claim, risk, earlier, moment)
    _amounts(facts, claim, earlier, moment, person.created_at if person else None)
    _people(facts, claim, earlier, moment)
    _rule_caps(facts, claim)
    return facts


def _rule_caps(facts: Facts, claim: Claim) -> None:
    """The points each capped rule would give the claim before its cap (the rules' own calculation); nothing is read
    when no active rule has a cap per claim."""
    capped = list(db.session.scalars(select(EarningRule).where(EarningRule.active.is_(True),
                                                              EarningRule.cap_per_claim.is_not(None))))
    if not capped or not facts.lines:
        return
    caps = {rule.id: rule.cap_per_claim for rule in capped}
    awards = expected_awards(claim) if claim.lines else []
    facts.rule_caps = tuple((award.rule_name, award.uncapped, caps[award.rule_id]) for award in awards
                            if award.rule_id in caps)


def _documents(facts: Facts, claim: Claim, risk: ClaimRisk, earlier, moment) -> None:
    if risk.scan_sha256:
        _same_and_near_scans(facts, claim, risk, earlier)
    same_number = _read(
        select(Claim.id, Claim.invoice_date).where(Claim.seller_inn == claim.seller_inn,
                                                   Claim.invoice_number_key == claim.invoice_number_key, earlier)
        .order_by(Claim.id).limit(20)).all()
    facts.same_invoice = tuple(row.id for row in same_number if row.invoice_date == claim.invoice_date)
    facts.number_other_date = tuple((row.id, row.invoice_date) for row in same_number
                                    if row.invoice_date != claim.invoice_date)
    # One read of the company's claims of the last 90 days, newest first, serves its numbering, weekday habits and
    # totals (the latest 30) and its pace (all of them); a quieter company's latest 30 are read on their own.
    company = _read(
        select(Claim.invoice_number, Claim.invoice_date, Claim.total_kopecks, Claim.submitted_at)
        .where(Claim.company_id == claim.company_id, earlier, Claim.submitted_at >= moment - timedelta(days=90))
        .order_by(Claim.submitted_at.desc(), Claim.id.desc()).limit(COMPANY_TIMES)).all()
    facts.company_times = tuple(row.submitted_at for row in company)
    recent = company[:RECENT]
    if len(recent) < RECENT:
        recent = _read(
            select(Claim.invoice_number, Claim.invoice_date, Claim.total_kopecks)
            .where(Claim.company_id == claim.company_id, earlier)
            .order_by(Claim.submitted_at.desc(), Claim.id.desc()).limit(RECENT)).all()
    facts.company_numbers = tuple((value, row.invoice_date) for row in recent
                                  if (value := invoice_number_value(row.invoice_number)) is not None)
    facts.company_days = tuple(row.invoice_date for row in recent)
    facts.company_totals = tuple(row.total_kopecks for row in recent)


def _same_and_near_scans(facts: Facts, claim: Claim, risk: ClaimRisk, earlier) -> None:
    """Earlier claims with the very same file, a near-identical image (pHash) or a nearly identical PDF text
    (simhash), in one read by the fingerprints' indexes. A near hash shares at least one of its four 16-bit bands
    with this one when at most three bits differ (a rescan, the same text exported again, a word changed); of hashes
    four to six bits apart most share one, not all."""
    found = [ClaimRisk.scan_sha256 == risk.scan_sha256]
    for value, columns in ((risk.scan_phash, (ClaimRisk.phash_band0, ClaimRisk.phash_band1, ClaimRisk.phash_band2,
                                              ClaimRisk.phash_band3)),
                           (risk.text_simhash, (ClaimRisk.text_band0, ClaimRisk.text_band1, ClaimRisk.text_band2,
                                                ClaimRisk.text_band3))):
        if value:
            found += [column == band for column, band in zip(columns, band_values(value), strict=True)]
    # Most rows sharing a band by chance are far from this hash: they are dropped before their claims are read.
    rows = [row for row in _read(
        select(ClaimRisk.claim_id, ClaimRisk.scan_sha256, ClaimRisk.scan_phash, ClaimRisk.text_simhash)
        .where(or_(*found), ClaimRisk.claim_id != claim.id).limit(500)).all()
        if row.scan_sha256 == risk.scan_sha256
        or (risk.scan_phash and row.scan_phash and distance(row.scan_phash, risk.scan_phash) <= NEAR_BITS)
        or (risk.text_simhash and row.text_simhash and distance(row.text_simhash, risk.text_simhash) <= NEAR_TEXT_BITS)]
    if not rows:
        return
    claims = {row.id: row for row in _read(
        select(Claim.id, Claim.user_id, Claim.company_id, Claim.invoice_date)
        .where(Claim.id.in_([row.claim_id for row in rows]), earlier))}
    rows = sorted((row for row in rows if row.claim_id in claims), key=lambda row: row.claim_id)
    facts.same_scan = tuple(row.claim_id for row in rows if row.scan_sha256 == risk.scan_sha256)[:10]
    others = [(row, claims[row.claim_id]) for row in rows if row.scan_sha256 != risk.scan_sha256]
    facts.near_scans = tuple((row.claim_id, other.user_id == claim.user_id) for row, other in others
                             if risk.scan_phash and row.scan_phash
                             and distance(row.scan_phash, risk.scan_phash) <= NEAR_BITS)
    facts.near_texts = tuple((row.claim_id, other.company_id == claim.company_id,
                              other.invoice_date == claim.invoice_date) for row, other in others
                             if risk.text_simhash and row.text_simhash
                             and distance(row.text_simhash, risk.text_simhash) <= NEAR_TEXT_BITS)


def _amounts(facts: Facts, claim: Claim, earlier, moment, registered) -> None:
    product_ids = {line.product_id for line in facts.lines}
    if product_ids:
        rows = _read(
            select(ClaimLine.product_id, ClaimLine.unit_price_kopecks).join(Claim, Claim.id == ClaimLine.claim_id)
            .where(Claim.company_id == claim.company_id, ClaimLine.product_id.in_(product_ids), earlier,
                   Claim.submitted_at >= moment - timedelta(days=USUAL_PRICE_DAYS))
            .order_by(Claim.submitted_at.desc(), Claim.id.desc()).limit(200)).all()
        prices: dict = {}
        for row in rows:
            prices.setdefault(row.product_id, []).append(row.unit_price_kopecks)
        facts.usual_prices = prices
    mine = _read(
        select(Claim.id, Claim.total_kopecks, Claim.submitted_at).where(Claim.user_id == claim.user_id, earlier)
        .order_by(Claim.id.desc()).limit(500)).all()
    facts.person_claims = len(mine)
    if registered is not None and registered <= moment:
        facts.person_days = (moment - registered).days  # (a claim dated before the account: old data)
    facts.person_max_total = max((row.total_kopecks for row in mine), default=0)
    facts.person_times = tuple(row.submitted_at for row in mine if row.submitted_at >= moment - timedelta(days=90))
    facts.person_recent = tuple(row.id for row in mine if row.submitted_at >= moment - timedelta(hours=24))
    line = facts.large_sale_kopecks
    facts.person_just_under = tuple(row.id for row in mine if 0.9 * line <= row.total_kopecks < line
                                    and row.submitted_at >= moment - timedelta(days=30))
    if mine:
        facts.person_max_quantity = _read(
            select(ClaimLine.quantity).where(ClaimLine.claim_id.in_([row.id for row in mine[:100]]))
            .order_by(ClaimLine.quantity.desc()).limit(1)).scalar() or 0


def _people(facts: Facts, claim: Claim, earlier, moment) -> None:
    if claim.customer_inn:
        found = _read(select(PartnerCompany.id, PartnerCompany.name)
                                   .where(PartnerCompany.inn == claim.customer_inn)).first()
        facts.customer_company = (found.id, found.name) if found else None
        window = timedelta(days=14)
        facts.customer_other_partners = tuple(tuple(row) for row in _read(
            select(Claim.id, Claim.company_id).where(
                Claim.customer_inn == claim.customer_inn,
                Claim.invoice_date.between(claim.invoice_date - window, claim.invoice_date + window),
                Claim.company_id != claim.company_id, earlier).order_by(Claim.id).limit(20)).all())
    deadline = moment + timedelta(hours=DEADLINE_HOURS)
    contests = _read(
        select(Contest.title, Contest.ends_at, Contest.freeze_at).where(
            Contest.status.not_in((CONTEST_DRAFT, CANCELLED)), Contest.metric.in_(CLAIM_METRICS),
            Contest.starts_at <= moment, Contest.ends_at > moment)).all()
    for title, ends_at, freeze_at in contests:
        for limit in (freeze_at, ends_at):
            if limit is not None and moment < limit <= deadline:
                facts.contest_deadline = (title, (limit - moment).total_seconds() / 3600)
                break
        if facts.contest_deadline:
            break
    # Claims decided as fraud are few: they are read from their own (partial) index and matched to the person and
    # company, rather than the company's every claim being looked up (the LIMIT keeps the databases from turning
    # the join around).
    decided = select(ClaimRisk.claim_id).where(ClaimRisk.fraud).limit(FRAUD_DECISIONS).subquery()
    fraud = _read(
        select(Claim.id, Claim.user_id).join(decided, decided.c.claim_id == Claim.id)
        .where(or_(Claim.user_id == claim.user_id, Claim.company_id == claim.company_id), Claim.id != claim.id)
        .order_by(Claim.id).limit(20)).all()
    facts.person_fraud = tuple(row.id for row in fraud if row.user_id == claim.user_id)
    facts.company_fraud = tuple(row.id for row in fraud if row.user_id != claim.user_id)
