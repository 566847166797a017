"""Reviewing a submitted claim: approving it into points through the rules, rejecting it, reversing it."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.audit import services as audit
from portal.auth.models import STAFF_ROLES, User
from portal.claims.models import (
    APPROVED,
    REJECTED,
    REVERSED,
    STATUS_LABELS,
    SUBMITTED,
    TRANSITIONS,
    Claim,
    ClaimAward,
    ClaimEvent,
)
from portal.core import events
from portal.core.errors import DomainError, NotAllowed
from portal.core.sql import compare_and_set
from portal.core.time import utcnow
from portal.extensions import db
from portal.ledger import services as ledger
from portal.partners.history import audience_on
from portal.partners.models import PENDING as COMPANY_PENDING
from portal.partners.models import REJECTED as COMPANY_REJECTED
from portal.program.services import get_settings
from portal.rules import engine
from portal.rules.services import score


def company_not_admitted(claim: Claim):
    """Why the claim's company keeps it from being approved (awaiting approval, or not admitted), or None.

    Staff of a company awaiting approval may save and submit sales; they wait in the queue until the company is
    approved. A rejected company's sales can only be rejected."""
    company = claim.company
    if company.status == COMPANY_PENDING:
        return _l("The company %(company)s is awaiting approval by the program team: its sales can be approved once "
                  "the company is approved.", company=company.name)
    if company.status == COMPANY_REJECTED:
        return _l("The company %(company)s was not admitted to the program: its sales cannot be approved.",
                  company=company.name)
    return None



def claim_input(claim: Claim) -> engine.ClaimInput:
    return engine.ClaimInput(
        audience=audience_on(claim.user_id, claim.invoice_date), company_id=claim.company_id,
        invoice_date=claim.invoice_date,
        lines=tuple(engine.LineInput(line.product_id, line.product.category, line.quantity,
                                     line.unit_price_kopecks, line.unit_cost_kopecks) for line in claim.lines),
    )


def awarded_by_rules(user_id: int):
    """What each earning rule already awarded the person since a moment: the period caps' usage, for score()."""
    def awarded(rule_id: int, since) -> int:
        return int(db.session.scalar(select(func.coalesce(func.sum(ClaimAward.points), 0)).where(
            ClaimAward.rule_id == rule_id, ClaimAward.user_id == user_id, ClaimAward.awarded_at >= since)) or 0)
    return awarded


def expected_awards(claim: Claim) -> list[engine.Award]:
    return score(claim_input(claim), claim.user_id, awarded=awarded_by_rules(claim.user_id))


def _move(claim: Claim, source: str, target: str, actor: User, **values) -> None:
    """Change the state only if nobody changed it meanwhile: of two managers, one wins, the other is told."""
    assert target in TRANSITIONS[source], f"claims never go from {source} to {target}"
    if not compare_and_set(claim, "status", source, status=target, decided_at=utcnow(), decided_by_id=actor.id,
                           **values):
        raise DomainError(_l("Claim #%(id)s is already %(status)s.", id=claim.id,
                             status=str(STATUS_LABELS[claim.status]).lower()))


def _check_reviewer(claim: Claim, actor: User) -> None:
    if actor.role not in STAFF_ROLES:
        raise NotAllowed(_l("Only the program team reviews claims."))
    if claim.user_id == actor.id:
        raise NotAllowed(_l("Nobody can review their own claim."))


def approve_claim(claim: Claim, actor: User, *, bulk: bool = False) -> Claim:
    """Approve a submitted claim and credit its points through the rules, exactly once. A claim whose company is
    not approved (yet) is refused: earning opens with the company's approval."""
    _check_reviewer(claim, actor)
    if claim.status == SUBMITTED and (problem := company_not_admitted(claim)) is not None:
        raise DomainError(problem)
    events.claim_approving.send(claim, actor=actor, bulk=bulk)  # e.g. a claim held for a second reviewer
    _move(claim, SUBMITTED, APPROVED, actor)
    ledger.lock_participant(claim.user_id)  # period caps and the first-sale bonus read earlier awards
    awards = expected_awards(claim)
    total = engine.total_points(awards)
    now = utcnow()
    for award in awards:
        db.session.add(ClaimAward(claim_id=claim.id, rule_id=award.rule_id, user_id=claim.user_id,
                                  points=award.points, details={"kind": award.kind, "lines": award.details},
                                  awarded_at=now))
    if total > 0:
        ledger.earn(claim.user_id, total, key=f"claim:{claim.id}:approved", source_type="claim",
                    source_id=claim.id, actor_id=actor.id, params={"invoice": claim.invoice_number})
    claim.points = total
    db.session.add(ClaimEvent(claim_id=claim.id, status=APPROVED, actor_id=actor.id))
    _first_sale_bonus(claim, actor)
    db.session.flush()
    events.claim_approved.send(claim, actor=actor)
    return claim


def _first_sale_bonus(claim: Claim, actor: User) -> None:
    bonus = get_settings().first_sale_bonus
    if bonus <= 0:
        return
    earlier = db.session.scalar(
        select(func.count(Claim.id)).where(Claim.user_id == claim.user_id, Claim.id != claim.id,
                                           Claim.status.in_([APPROVED, REVERSED]))
    )
    if earlier == 0:
        ledger.earn(claim.user_id, bonus, key=f"first-sale:{claim.user_id}", source_type="first_sale",
                    source_id=claim.id, actor_id=actor.id)


def reject_claim(claim: Claim, actor: User, reason: str) -> Claim:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give the reason: the participant will see it."), field="reason")
    _check_reviewer(claim, actor)
    _move(claim, SUBMITTED, REJECTED, actor, rejection_reason=reason[:500])
    db.session.add(ClaimEvent(claim_id=claim.id, status=REJECTED, actor_id=actor.id, note=reason[:500]))
    db.session.flush()
    audit.record(audit.CLAIM_REJECTED, actor=actor, object_type="claim", object_id=claim.id,
                 changes={"reason": reason[:500], "participant": claim.user_id})
    return claim


def reverse_claim(claim: Claim, actor: User, reason: str) -> Claim:
    """A return: the claim's points are clawed back through the ledger (a debt if they were spent)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give the reason: the participant will see it."), field="reason")
    if actor.role not in STAFF_ROLES:
        raise NotAllowed(_l("Only the program team reviews claims."))
    _move(claim, APPROVED, REVERSED, actor)
    posted = ledger.find_transaction(f"claim:{claim.id}:approved")
    if posted is not None:
        ledger.reverse_transaction(posted, actor_id=actor.id, reason=reason[:500], key=f"claim:{claim.id}:reversed")
    db.session.add(ClaimEvent(claim_id=claim.id, status=REVERSED, actor_id=actor.id, note=reason[:500]))
    db.session.flush()
    events.claim_reversed.send(claim, actor=actor)
    return claim
