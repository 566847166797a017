"""Scoring a claim, the two-reviewer hold, the "fraud" decision and the manager's thresholds."""

import logging
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.audit import services as audit
from portal.auth.models import STAFF_ROLES, User
from portal.claims import services as claims
from portal.claims.models import APPROVED, SUBMITTED, Claim
from portal.core.errors import DomainError, NotAllowed
from portal.core.time import utcnow
from portal.extensions import db
from portal.fraud.explain import explain
from portal.fraud.facts import gather
from portal.fraud.fingerprints import band_values, fingerprint_of, taken_ahead
from portal.fraud.models import VERSION, ClaimRisk, FraudSettings
from portal.fraud.signals import evaluate

log = logging.getLogger(__name__)


def get_fraud_settings() -> FraudSettings:
    settings = db.session.get(FraudSettings, 1)
    if settings is None:
        settings = FraudSettings(id=1, bulk_max_score=20, hold_score=50, large_sale_kopecks=30_000_000)
        db.session.add(settings)
        db.session.flush()
    return settings


def save_fraud_settings(actor: User, *, bulk_max_score: int, hold_score: int, large_sale_kopecks: int) -> FraudSettings:
    """The manager's thresholds: bulk approval up to one score, a second reviewer from another."""
    if actor.role not in STAFF_ROLES:
        raise NotAllowed(_l("Only the program team sets the fraud thresholds."))
    for value in (bulk_max_score, hold_score):
        if value is None or not 0 <= value <= 100:
            raise DomainError(_l("A score is a whole number from 0 to 100."), field="hold_score")
    if bulk_max_score >= hold_score:
        raise DomainError(_l("The bulk approval line must be below the hold line."), field="bulk_max_score")
    if not large_sale_kopecks or large_sale_kopecks <= 0:
        raise DomainError(_l("The large sale must be a positive amount."), field="large_sale")
    settings = get_fraud_settings()
    before = {"bulk_max_score": settings.bulk_max_score, "hold_score": settings.hold_score,
              "large_sale_kopecks": settings.large_sale_kopecks}
    settings.bulk_max_score, settings.hold_score = bulk_max_score, hold_score
    settings.large_sale_kopecks = large_sale_kopecks
    db.session.flush()
    audit.record(audit.SETTINGS_CHANGED, actor=actor, object_type="fraud_settings", object_id=1,
                 changes={"before": before, "after": {"bulk_max_score": bulk_max_score, "hold_score": hold_score,
                                                      "large_sale_kopecks": large_sale_kopecks}})
    return settings


def _risk_row(claim: Claim) -> ClaimRisk:
    risk = db.session.get(ClaimRisk, claim.id)
    if risk is None:
        risk = ClaimRisk(claim_id=claim.id, score=0, signals=[], version=VERSION)
        db.session.add(risk)
    return risk


def _set_fingerprints(risk: ClaimRisk, found: tuple) -> None:
    risk.scan_sha256, risk.scan_phash, risk.text_simhash = found
    risk.phash_band0, risk.phash_band1, risk.phash_band2, risk.phash_band3 = band_values(risk.scan_phash)
    risk.text_band0, risk.text_band1, risk.text_band2, risk.text_band3 = band_values(risk.text_simhash)


UNSCORED = 0  # the version of a risk row that holds only the scan's fingerprints: its claim waits for its score


def keep_fingerprints(claim: Claim) -> None:
    """At submission, when the claim is scored after the commit: its scan's fingerprints (taken as the scan was
    stored; no file is read here) are written with the claim, so a claim scored before this one's score is written
    still finds the same scan. The row counts as unscored until `score_claim` fills it."""
    found = taken_ahead(claim.scan_path, claim.scan_mimetype)
    if found is None or found[0] is None or db.session.get(ClaimRisk, claim.id) is not None:
        return
    risk = ClaimRisk(claim_id=claim.id, score=0, signals=[], version=UNSCORED)
    _set_fingerprints(risk, found)
    db.session.add(risk)
    db.session.flush()


def score_claim(claim: Claim, settings: FraudSettings | None = None) -> ClaimRisk:
    """Score a submitted claim from what was submitted before it; a score at the hold line or above holds it for a
    second reviewer. The scan's fingerprints are taken once (as it was stored, else from its file) and kept."""
    settings = settings or get_fraud_settings()
    risk = db.session.get(ClaimRisk, claim.id)
    new = risk is None
    if new:  # added once its facts are read: the reads come before the risk row's write (and the write lock)
        risk = ClaimRisk(claim_id=claim.id, score=0, signals=[], version=VERSION)
    if risk.scan_sha256 is None and claim.scan_path:
        _set_fingerprints(risk, fingerprint_of(claim.scan_path, claim.scan_mimetype))
    score, found = evaluate(gather(claim, risk, settings.large_sale_kopecks))
    risk.score, risk.signals = score, [signal.as_json() for signal in found]
    risk.version, risk.computed_at = VERSION, utcnow()
    if score >= settings.hold_score:
        risk.held = True
    for signal in found:
        if signal.code in PATTERNS and signal.weight >= PATTERN_WEIGHT:
            _raise_linked(claim, signal, settings)
    if new:
        db.session.add(risk)
    db.session.flush()
    return risk


# Signals of a pattern several claims make together (a burst, a split sale, a customer many partners claim): once a
# later claim reveals it strongly, the earlier claims of the pattern still waiting for review carry it too.
PATTERNS = {"velocity", "just_under_repeated", "customer_many_partners"}
PATTERN_WEIGHT = 50


def _raise_linked(claim: Claim, signal, settings: FraudSettings) -> None:
    for other in db.session.scalars(select(ClaimRisk).join(Claim, Claim.id == ClaimRisk.claim_id).where(
            ClaimRisk.claim_id.in_(signal.claims), Claim.status == SUBMITTED)):
        if any(found["code"] == signal.code and found["weight"] >= signal.weight for found in other.signals):
            continue
        kept = [found for found in other.signals if found["code"] != signal.code]
        joined = sorted([*kept, {**signal.as_json(), "claims": [claim.id]}],
                        key=lambda found: (-found["weight"], found["code"]))
        other.signals, other.score = joined, min(100, sum(found["weight"] for found in joined))
        if other.score >= settings.hold_score:
            other.held = True


def score_submitted(claim: Claim) -> ClaimRisk | None:
    """Scoring as part of submission: a failure is logged and the claim goes to review unscored, never refused."""
    try:
        with db.session.begin_nested():
            return score_claim(claim)
    except Exception:  # noqa: BLE001 - scoring must never block a submission
        log.exception("claim %s could not be scored", claim.id)
        return None


def _check_staff(actor: User, claim: Claim) -> None:
    if actor.role not in STAFF_ROLES:
        raise NotAllowed(_l("Only the program team reviews claims."))
    if claim.user_id == actor.id:
        raise NotAllowed(_l("Nobody can review their own claim."))


def hold_claim(claim: Claim, actor: User) -> ClaimRisk:
    """First review of a claim that needs two (or any claim a reviewer wants a second opinion on): the claim waits
    for another reviewer, who alone may approve it."""
    _check_staff(actor, claim)
    if claim.status != SUBMITTED:
        raise DomainError(_l("Only a claim waiting for review can be held."))
    risk = _risk_row(claim)
    if risk.held_by_id is not None:
        raise DomainError(_l("Claim #%(id)s is already held by %(name)s.", id=claim.id, name=risk.held_by.full_name))
    risk.held, risk.held_by_id, risk.held_at = True, actor.id, utcnow()
    db.session.flush()
    return risk


def check_approval(claim: Claim, actor: User, bulk: bool = False) -> None:
    """Four eyes: a held claim is approved by someone other than the reviewer who held it, after a first review;
    bulk approval takes only claims at or below the bulk line."""
    risk = db.session.get(ClaimRisk, claim.id)
    if risk is None:
        return
    if bulk and risk.version == UNSCORED:
        raise DomainError(_l("Claim #%(id)s is not scored yet: approve it on its own page, or in bulk in a minute.",
                             id=claim.id))
    if bulk and (risk.held or risk.score > get_fraud_settings().bulk_max_score):
        raise DomainError(_l("Risk score %(score)s: approve it on its own page, not in bulk.", score=risk.score))
    if not risk.held or _reviewers() < 2:
        return  # a program with one reviewer cannot have a second: the claim shows as held, never locked
    if risk.held_by_id is None:
        raise DomainError(_l("This claim needs two reviewers: the first marks it reviewed, another approves it."))
    if risk.held_by_id == actor.id:
        raise NotAllowed(_l("You held this claim for a second reviewer: someone else approves it."))


def _reviewers() -> int:
    return db.session.scalar(select(func.count(User.id)).where(User.role.in_(STAFF_ROLES), User.active.is_(True))) or 0


FRAUD_REASON = _l("The sale did not pass the program's check of documents and sales (fraud suspected).")


def decide_fraud(claim: Claim, actor: User, note: str = "") -> Claim:
    """The reviewer's decision "fraud": a waiting claim is rejected, an approved one reversed, and later claims of
    the person and their company carry it as a signal."""
    reason = str(FRAUD_REASON) + (f" {note.strip()}" if (note or "").strip() else "")
    if claim.status == SUBMITTED:
        claims.reject_claim(claim, actor, reason)
    elif claim.status == APPROVED:
        claims.reverse_claim(claim, actor, reason)
    else:
        raise DomainError(_l("Only a claim waiting for review or approved can be decided as fraud."))
    risk = _risk_row(claim)
    risk.fraud, risk.fraud_by_id, risk.fraud_at = True, actor.id, utcnow()
    db.session.flush()
    return claim


def refine_queue(query, args: dict):
    """The review queue's risk filter ("risk from N") and order ("riskiest first"), with each claim's risk loaded."""
    query = query.options(selectinload(Claim.risk))
    try:
        minimum = int(str(args.get("risk_min") or "").strip() or -1)
    except ValueError:
        minimum = -1
    if minimum >= 0:
        minimum = min(minimum, 101)  # scores stop at 100 (and the database's integers far sooner than Python's)
        query = query.where(select(ClaimRisk.claim_id).where(ClaimRisk.claim_id == Claim.id,
                                                             ClaimRisk.score >= minimum).exists())
    if args.get("sort") == "risk":
        score = select(func.coalesce(func.max(ClaimRisk.score), -1)).where(ClaimRisk.claim_id == Claim.id)
        query = query.order_by(None).order_by(score.scalar_subquery().desc(), Claim.id.asc())
    return query


def risk_of(claim_id: int) -> ClaimRisk | None:
    return db.session.get(ClaimRisk, claim_id)


def unscored_claims(submitted_before=None) -> list[int]:
    """Claims waiting for review without a score (the check: scoring runs with every submission), the first 100;
    with `submitted_before`, only those submitted before that moment."""
    where = [Claim.status == SUBMITTED, ~select(ClaimRisk.claim_id).where(ClaimRisk.claim_id == Claim.id,
                                                                          ClaimRisk.version > UNSCORED).exists()]
    if submitted_before is not None:
        where.append(Claim.submitted_at < submitted_before)
    return list(db.session.scalars(select(Claim.id).where(*where).order_by(Claim.id).limit(100)))


SCORING_GRACE = timedelta(seconds=20)  # a claim submitted more recently is being scored by its own request


def score_unscored(now=None) -> int:
    """The worker's job: score the claims whose scoring after their submission failed or never ran (a process
    stopped between the two commits), committing claim by claim. Claims of the last seconds are left to the
    request that submitted them."""
    now = now or utcnow()
    scored = 0
    while ids := unscored_claims(submitted_before=now - SCORING_GRACE):
        for claim_id in ids:
            try:
                score_claim(db.session.get(Claim, claim_id))
                db.session.commit()
            except Exception:  # noqa: BLE001 - one claim's failure does not stop the others
                db.session.rollback()
                log.exception("claim %s could not be scored by the job", claim_id)
                return scored
            scored += 1
    return scored


def risk_summary(claim: Claim, top: int = 3) -> dict | None:
    """The claim's risk for the program team's readers (the API, the sales export): the score, whether it is held,
    and its strongest signals in words."""
    risk = claim.risk
    if risk is None or risk.version == UNSCORED:
        return None
    return {"score": risk.score, "held": risk.held, "fraud": risk.fraud,
            "signals": [{"code": signal["code"], "weight": signal["weight"], "text": explain(signal),
                         "claims": signal.get("claims", [])} for signal in risk.top_signals(top)]}


def risk_header() -> list:
    """The sales export's two risk columns, titled in the reader's language."""
    from flask_babel import gettext as _

    from portal.core.exports import INT, Column

    return [Column(_("Risk"), INT), Column(_("Risk signals"))]


def risk_cells(claim_ids: list[int]) -> dict[int, tuple[int, str]]:
    """The score and the top signals in words (the reader's language) of each scored claim among `claim_ids`."""
    rows = db.session.execute(select(ClaimRisk.claim_id, ClaimRisk.score, ClaimRisk.signals)
                              .where(ClaimRisk.claim_id.in_(claim_ids), ClaimRisk.version > UNSCORED)).all()
    return {claim_id: (score, "; ".join(explain(signal) for signal in list(signals or [])[:3]))
            for claim_id, score, signals in rows}
