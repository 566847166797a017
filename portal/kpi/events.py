"""KPI counters follow the program's domain events in the sender's transaction (receivers only flush)."""

from portal.auth.models import PARTNER_ROLES
from portal.core import events
from portal.core.time import utcnow
from portal.kpi import aggregates, totals
from portal.kpi.models import GROUP, PROGRAM
from portal.ledger.models import ADJUSTMENT, EXPIRY, ISSUANCE, REDEMPTION
from portal.plans.actuals import claim_totals


def _claim(claim, sign: int) -> None:
    """An approved sale, or its reversal (sign -1), for the scopes of its invoice date: the company the claim
    recorded, the seller's audience and the company's groups on that day (so a reversal undoes the original)."""
    stage = aggregates.stage_for(claim.invoice_date)
    if stage is None:
        return
    totals = claim_totals(claim)
    scopes = aggregates.event_scopes(claim.user_id, claim.company_id, claim.invoice_date)
    aggregates.bump(stage.id, scopes, claims_approved=sign, sales_amount=sign * totals["sales_amount"],
                    units=sign * totals["units"], margin=sign * totals["margin"])
    aggregates.record_person(claim.user_id, stage.id, scopes, "sales", sign)


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
    scopes = aggregates.event_scopes(completion.user_id, completion.company_id, completion.passed_at)
    aggregates.bump(stage.id, scopes, courses_passed=1)
    aggregates.record_person(completion.user_id, stage.id, scopes, "courses", +1)


@events.participant_registered.connect
def count_registration(user, **extra):
    if user.role not in PARTNER_ROLES:
        return
    moment = user.created_at or utcnow()
    stage = aggregates.stage_for(moment)
    if stage is not None:
        aggregates.bump(stage.id, aggregates.event_scopes(user.id, user.company_id, moment), registered=1)


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


@events.group_membership_changed.connect
def recount_group(group, since=None, **extra):
    """A company joined or left the group, or its membership was dated back: the group's counters and rows of people
    are counted again from the source rows, in the stages from the first day whose counting changed (a closed
    stage's stored results stay as they were: the stage then shows that it changed since closing)."""
    aggregates.recompute_scope(GROUP, str(group.id), since=since)


@events.lead_qualified.connect
def count_lead(lead, **extra):
    moment = lead.qualified_at or utcnow()
    stage = aggregates.stage_for(moment)
    if stage is not None:
        aggregates.bump(stage.id, aggregates.event_scopes(lead.user_id, lead.company_id, moment), leads_qualified=1)


@events.points_posted.connect
def count_points(transaction, moves=(), **extra):
    issued = -sum(amount for kind, amount in moves if kind in (ISSUANCE, ADJUSTMENT))
    redeemed = sum(amount for kind, amount in moves if kind == REDEMPTION)
    expired = sum(amount for kind, amount in moves if kind == EXPIRY)
    if not (issued or redeemed or expired):
        return
    totals.add_points_issued(transaction.created_at, issued)
    stage = aggregates.stage_for(transaction.created_at)
    if stage is not None:
        aggregates.bump(stage.id, [(PROGRAM, "")], points_issued=issued, points_redeemed=redeemed,
                        points_expired=expired)
