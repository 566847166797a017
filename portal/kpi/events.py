"""KPI counters follow the program's domain events in the sender's transaction (receivers only flush)."""

from portal.auth.models import PARTNER_ROLES
from portal.core import events
from portal.core.time import utcnow
from portal.kpi import aggregates
from portal.kpi.models import PROGRAM
from portal.ledger.models import ADJUSTMENT, EXPIRY, ISSUANCE, REDEMPTION


def _claim(claim, sign: int) -> None:
    from portal.plans.actuals import claim_totals

    stage = aggregates.stage_for(claim.invoice_date)
    if stage is None:
        return
    totals = claim_totals(claim)
    aggregates.bump(stage.id, aggregates.company_scopes(claim.company_id, claim.user.audience),
                    claims_approved=sign, sales_amount=sign * totals["sales_amount"], units=sign * totals["units"],
                    margin=sign * totals["margin"])
    aggregates.record_person(claim.user, claim.company_id, claim.invoice_date, "sales", sign)


@events.claim_approved.connect
def count_claim(claim, **extra):
    _claim(claim, +1)


@events.claim_reversed.connect
def uncount_claim(claim, **extra):
    _claim(claim, -1)


@events.course_passed.connect
def count_course(completion, **extra):
    stage = aggregates.stage_for(completion.passed_at)
    if stage is None:
        return
    aggregates.bump(stage.id, aggregates.company_scopes(completion.company_id, completion.user.audience),
                    courses_passed=1)
    aggregates.record_person(completion.user, completion.company_id, completion.passed_at, "courses", +1)


@events.participant_registered.connect
def count_registration(user, **extra):
    if user.role not in PARTNER_ROLES:
        return
    stage = aggregates.stage_for(user.created_at or utcnow())
    if stage is not None:
        aggregates.bump(stage.id, aggregates.company_scopes(user.company_id, user.audience), registered=1)


@events.participant_moved.connect
def count_move(user, old_company_id=None, new_company_id=None, **extra):
    stage = aggregates.stage_for(utcnow())
    if stage is None:
        return
    old = aggregates.company_scopes(old_company_id, None, program=False)
    new = aggregates.company_scopes(new_company_id, None, program=False)
    same_region = [s for s in old if s[0] != "company"] == [s for s in new if s[0] != "company"]
    aggregates.bump(stage.id, [s for s in old if s[0] == "company" or not same_region], moved_out=1)
    aggregates.bump(stage.id, [s for s in new if s[0] == "company" or not same_region], moved_in=1)


@events.lead_qualified.connect
def count_lead(lead, **extra):
    stage = aggregates.stage_for(lead.qualified_at or utcnow())
    if stage is not None:
        aggregates.bump(stage.id, aggregates.company_scopes(lead.company_id, lead.user.audience), leads_qualified=1)


@events.points_posted.connect
def count_points(transaction, moves=(), **extra):
    issued = -sum(amount for kind, amount in moves if kind in (ISSUANCE, ADJUSTMENT))
    redeemed = sum(amount for kind, amount in moves if kind == REDEMPTION)
    expired = sum(amount for kind, amount in moves if kind == EXPIRY)
    if not (issued or redeemed or expired):
        return
    stage = aggregates.stage_for(transaction.created_at)
    if stage is not None:
        aggregates.bump(stage.id, [(PROGRAM, "")], points_issued=issued, points_redeemed=redeemed,
                        points_expired=expired)
