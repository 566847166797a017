"""Contest scores: who counts in which league, what an event is worth, and the rollup that boards read.

Policy, also shown on the contest page:
- a sale counts when its invoice date lies in the contest period and it is approved (at any time before
  the results are final); a course when it is passed within the period; a lead when qualified within it;
- a sale counts for the league, groups and audience its seller and company belonged to on the sale's invoice
  date (partners/history.py answers "where on day D"); a course or a lead on the program-calendar day it was
  passed or qualified. Moving to another company later does not move earlier results; a company added to a
  group (or dated back into it) brings the sales invoiced while it was a member;
- a product deactivated during the contest still counts for the sales made of it.

`reached_at` is the time of the last event that changed the participant's value, so equal values rank by
who got there first. Receivers and the recomputation apply the same rules; `recompute_contest` reports drift.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, case, delete, func, insert, select, update
from sqlalchemy.orm import selectinload

from portal.auth.models import PARTNER_ROLES, User
from portal.claims.models import APPROVED, REVERSED, Claim, ClaimEvent, ClaimLine
from portal.core.sql import insert_ignoring_duplicates
from portal.core.time import local_date
from portal.extensions import db
from portal.partners import history
from portal.plans.services import plan_targets
from portal.training.models import CourseCompletion

from .boards import bucket_drift, rebuild_buckets
from .models import (
    APPROVED_CLAIMS,
    BY_AUDIENCE,
    BY_GROUP,
    CLAIM_METRICS,
    COURSES_PASSED,
    LATE_EXCLUDED,
    MARGIN,
    OPT_IN,
    PLAN_PERCENT,
    POINTS,
    QUALIFIED_LEADS,
    SALES_AMOUNT,
    SCORED_STATES,
    UNITS,
    Contest,
    ContestEntry,
    ContestFrozenScore,
    ContestScore,
)


def period_dates(contest: Contest) -> tuple[date, date]:
    return local_date(contest.starts_at), local_date(contest.ends_at)


def percent_of(actual: int, target: int | None) -> int:
    """Hundredths of a percent, truncated toward zero (as the databases divide integers)."""
    if not target:
        return 0
    whole = abs(actual) * 10000 // target
    return whole if actual >= 0 else -whole


@dataclass
class Scope:
    """A contest's rules prepared for many checks: leagues, entrants, products, and the memberships already
    looked up (each (company, day) and (person, day) once)."""

    contest: Contest
    league_ids: list[int]
    league_groups: list[tuple[int, int | None]]
    league_audiences: dict[str, int]
    entrants: set[int] | None = None
    products: set[int] = field(default_factory=set)
    categories: set[str] = field(default_factory=set)
    groups_seen: dict = field(default_factory=dict)
    audiences_seen: dict = field(default_factory=dict)

    def groups_on(self, company_id: int, when: date | datetime) -> frozenset[int]:
        key = (company_id, when)
        if key not in self.groups_seen:
            self.groups_seen[key] = history.group_ids_on(company_id, when)
        return self.groups_seen[key]

    def audience_on(self, user_id: int, when: date | datetime) -> str | None:
        key = (user_id, when)
        if key not in self.audiences_seen:
            self.audiences_seen[key] = history.audience_on(user_id, when)
        return self.audiences_seen[key]


def prepare(contest: Contest) -> Scope:
    leagues = list(contest.leagues)
    scope = Scope(
        contest=contest, league_ids=[league.id for league in leagues],
        league_groups=[(league.id, league.group_id) for league in leagues],
        league_audiences={league.audience: league.id for league in leagues if league.audience},
        products=set(contest.product_ids or []), categories=set(contest.categories or []),
    )
    if contest.enrolment == OPT_IN:
        scope.entrants = set(db.session.scalars(select(ContestEntry.user_id).where(
            ContestEntry.contest_id == contest.id)))
    return scope


# Why a result does not count in a contest (the "why this value" page names them in the reader's language).
NOT_PARTICIPANT = "not_participant"
AUDIENCE = "audience"
LATE = "late"
NOT_ENTERED = "not_entered"
COMPANY = "company"
GROUP = "group"


def placement(scope: Scope, user: User, company_id: int | None, when: date | datetime) -> tuple[int | None, str | None]:
    """(league, None) for a result of `user` made while working for `company_id`, on the day `when` (a sale's
    invoice date, a course's day) or at a moment; (None, reason) when it counts in no league."""
    contest = scope.contest
    if not scope.league_ids or user.role not in PARTNER_ROLES or company_id is None:
        return None, NOT_PARTICIPANT
    audience = scope.audience_on(user.id, when) if contest.audience or scope.league_audiences else None
    if contest.audience and audience != contest.audience:
        return None, AUDIENCE
    if contest.late_joiners == LATE_EXCLUDED and user.created_at > contest.starts_at:
        return None, LATE
    if scope.entrants is not None and user.id not in scope.entrants:
        return None, NOT_ENTERED
    if contest.company_ids and company_id not in contest.company_ids:
        return None, COMPANY
    groups_then = scope.groups_on(company_id, when) if contest.group_ids or contest.league_mode == BY_GROUP \
        else frozenset()
    if contest.league_mode == BY_GROUP:
        # A company in several of the contest's groups counts in the first league listed.
        league = next((league for league, group in scope.league_groups if group in groups_then), None)
        return (league, None) if league is not None else (None, GROUP)
    if contest.group_ids and not groups_then & set(contest.group_ids):
        return None, GROUP
    if contest.league_mode == BY_AUDIENCE:
        league = scope.league_audiences.get(audience)
        return (league, None) if league is not None else (None, AUDIENCE)
    return scope.league_ids[0], None


def league_for(scope: Scope, user: User, company_id: int | None, when: date | datetime) -> int | None:
    """The league a result counts in (see `placement`), or None."""
    return placement(scope, user, company_id, when)[0]


def line_matches(scope: Scope, line: ClaimLine) -> bool:
    if not scope.products and not scope.categories:
        return True
    return line.product_id in scope.products or line.product.category in scope.categories


def claim_amount(scope: Scope, claim: Claim) -> int | None:
    """What an approved claim adds to the contest's measure; None when none of its lines is in the contest."""
    lines = [line for line in claim.lines if line_matches(scope, line)]
    if not lines:
        return None
    metric = scope.contest.plan_metric if scope.contest.metric == PLAN_PERCENT else scope.contest.metric
    if metric == SALES_AMOUNT:
        return sum(line.revenue_kopecks for line in lines)
    if metric == UNITS:
        return sum(line.quantity for line in lines)
    if metric == MARGIN:
        return sum(line.margin_kopecks for line in lines)
    if metric == POINTS:
        return claim.points or 0
    if metric == APPROVED_CLAIMS:
        return 1
    return None


def claim_in_period(contest: Contest, claim: Claim) -> bool:
    first, last = period_dates(contest)
    return first <= claim.invoice_date <= last


def claim_day(claim: Claim) -> date:
    """The day that decides a sale's league, groups and audience: its invoice date."""
    return claim.invoice_date


def event_day(moment: datetime) -> date:
    """The day that decides a course's or a lead's league: the program-calendar day of its moment."""
    return local_date(moment)


def moment_in_period(contest: Contest, moment: datetime) -> bool:
    return contest.starts_at <= moment < contest.ends_at


def scored_contests(metrics) -> list[Contest]:
    return list(db.session.scalars(select(Contest).where(Contest.status.in_(SCORED_STATES),
                                                         Contest.metric.in_(metrics))))


# --- the rollup ------------------------------------------------------------------------------------


def _target(contest: Contest, user_id: int) -> int | None:
    first, last = period_dates(contest)
    return plan_targets([user_id], contest.plan_metric, first, last).get(user_id)


def bump_score(contest: Contest, league_id: int, user_id: int, company_id: int | None, delta: int,
               at: datetime) -> None:
    """Add `delta` to a participant's score in one statement (no lost update under parallel events)."""
    keys = {"contest_id": contest.id, "league_id": league_id, "user_id": user_id}
    insert_ignoring_duplicates(ContestScore, [{**keys, "company_id": company_id, "actual": 0, "value": 0,
                                               "reached_at": at}], list(keys))
    actual = ContestScore.actual + delta
    if contest.metric == PLAN_PERCENT:
        target = _target(contest, user_id)
        value = actual * 10000 // target if target else 0
    else:
        value = actual
    where = [ContestScore.contest_id == contest.id, ContestScore.league_id == league_id,
             ContestScore.user_id == user_id]
    db.session.execute(update(ContestScore).where(*where)
                       .values(actual=actual, value=value, company_id=company_id,
                               # events may arrive out of order (a late clock): keep the latest moment
                               reached_at=case((ContestScore.reached_at > at, ContestScore.reached_at), else_=at))
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(ContestScore).where(*where, ContestScore.actual == 0, ContestScore.value == 0)
                       .execution_options(synchronize_session=False))


@dataclass
class Computed:
    actual: int = 0
    reached_at: datetime | None = None
    company_id: int | None = None
    value: int = 0

    def add(self, amount: int, at: datetime, company_id: int | None) -> None:
        self.actual += amount
        if self.reached_at is None or at >= self.reached_at:
            self.reached_at, self.company_id = at, company_id


def compute_scores(contest: Contest, as_of: datetime | None = None,
                   user_ids: list[int] | None = None) -> dict[tuple[int, int], Computed]:
    """Every score of the contest from the source rows, as of `as_of` (default: now)."""
    scope = prepare(contest)
    rows: dict[tuple[int, int], Computed] = defaultdict(Computed)
    if contest.metric in CLAIM_METRICS:
        _claims_into(rows, scope, as_of, user_ids)
    elif contest.metric == COURSES_PASSED:
        query = select(CourseCompletion).options(selectinload(CourseCompletion.user)).where(
            CourseCompletion.passed_at >= contest.starts_at, CourseCompletion.passed_at < contest.ends_at)
        if as_of is not None:
            query = query.where(CourseCompletion.passed_at <= as_of)
        if user_ids is not None:
            query = query.where(CourseCompletion.user_id.in_(user_ids))
        for completion in db.session.scalars(query):
            league = league_for(scope, completion.user, completion.company_id, event_day(completion.passed_at))
            if league is not None:
                rows[(league, completion.user_id)].add(1, completion.passed_at, completion.company_id)
    elif contest.metric == QUALIFIED_LEADS:
        _leads_into(rows, scope, as_of, user_ids)
    targets = {}
    if contest.metric == PLAN_PERCENT:
        first, last = period_dates(contest)
        targets = plan_targets(None if user_ids is None else list(user_ids), contest.plan_metric, first, last)
    result = {}
    for key, row in rows.items():
        row.value = percent_of(row.actual, targets.get(key[1])) if contest.metric == PLAN_PERCENT else row.actual
        if row.actual or row.value:
            result[key] = row
    return result


def _claims_into(rows, scope: Scope, as_of, user_ids) -> None:
    contest = scope.contest
    first, last = period_dates(contest)
    where = [Claim.invoice_date >= first, Claim.invoice_date <= last, Claim.status.in_([APPROVED, REVERSED])]
    if user_ids is not None:
        where.append(Claim.user_id.in_(user_ids))
    times: dict[int, dict[str, datetime]] = defaultdict(dict)
    for claim_id, status, created_at in db.session.execute(
        select(ClaimEvent.claim_id, ClaimEvent.status, ClaimEvent.created_at).join(Claim)
        .where(*where, ClaimEvent.status.in_([APPROVED, REVERSED]))
    ):
        times[claim_id][status] = created_at
    claims = db.session.scalars(select(Claim).where(*where).options(
        selectinload(Claim.lines).selectinload(ClaimLine.product), selectinload(Claim.user)))
    for claim in claims:
        seen = {status: at for status, at in times[claim.id].items() if as_of is None or at <= as_of}
        if not seen:
            continue
        amount = claim_amount(scope, claim)
        if amount is None:
            continue
        league = league_for(scope, claim.user, claim.company_id, claim_day(claim))
        if league is None:
            continue
        counted = APPROVED in seen and REVERSED not in seen
        rows[(league, claim.user_id)].add(amount if counted else 0, max(seen.values()), claim.company_id)


def lead_model():
    """The leads feature's model once the app has it (built in parallel), else None. Looked up among the
    mapped classes rather than imported, so a checkout without the feature never touches its tables."""
    for mapper in db.Model.registry.mappers:
        if mapper.local_table.name == "leads" and hasattr(mapper.class_, "qualified_at"):
            return mapper.class_
    return None


def _leads_into(rows, scope: Scope, as_of, user_ids) -> None:
    lead = lead_model()
    if lead is None:
        return
    contest = scope.contest
    query = select(lead).where(lead.qualified_at >= contest.starts_at, lead.qualified_at < contest.ends_at)
    if as_of is not None:
        query = query.where(lead.qualified_at <= as_of)
    if user_ids is not None:
        query = query.where(lead.user_id.in_(user_ids))
    leads = list(db.session.scalars(query))
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({x.user_id for x in leads})))}
    for item in leads:
        league = league_for(scope, users[item.user_id], item.company_id, event_day(item.qualified_at))
        if league is not None:
            rows[(league, item.user_id)].add(1, item.qualified_at, item.company_id)


def _stored(model, contest: Contest, user_ids=None) -> dict[tuple[int, int], ContestScore]:
    query = select(model).where(model.contest_id == contest.id)
    if user_ids is not None:
        query = query.where(model.user_id.in_(user_ids))
    return {(row.league_id, row.user_id): row
            for row in db.session.scalars(query.execution_options(populate_existing=True))}


def recompute_contest(contest: Contest, user_ids: list[int] | None = None, fix: bool = True) -> list[str]:
    """Compare the stored scores with the source; with `fix`, rewrite the ones that differ. Returns the drift."""
    if contest.metric == QUALIFIED_LEADS and lead_model() is None:
        return []  # nothing to recompute from until the leads feature is installed
    computed = compute_scores(contest, user_ids=user_ids)
    stored = _stored(ContestScore, contest, user_ids)
    drift, stale, fresh = [], [], []
    for key in stored.keys() | computed.keys():
        have, want = stored.get(key), computed.get(key)
        if have is not None and want is not None and (have.actual, have.value, have.reached_at) == (
                want.actual, want.value, want.reached_at):
            continue
        drift.append(f"contest {contest.id} league {key[0]} user {key[1]}: stored "
                     f"{(have.actual, have.value, have.reached_at) if have else None}, source "
                     f"{(want.actual, want.value, want.reached_at) if want else None}")
        if have is not None:
            stale.append(have.id)
        if want is not None:
            fresh.append(_row(contest, key, want))
    if fix and drift:
        if stale:
            db.session.execute(delete(ContestScore).where(ContestScore.id.in_(stale))
                               .execution_options(synchronize_session=False))
        if fresh:
            db.session.execute(insert(ContestScore), fresh)
        db.session.flush()
    return drift


def _row(contest: Contest, key, computed: Computed) -> dict:
    return {"contest_id": contest.id, "league_id": key[0], "user_id": key[1], "company_id": computed.company_id,
            "actual": computed.actual, "value": computed.value, "reached_at": computed.reached_at}


def reset_scores(contest: Contest) -> None:
    """Drop every score of the contest and rebuild them from the source (after publishing or editing)."""
    db.session.execute(delete(ContestScore).where(ContestScore.contest_id == contest.id)
                       .execution_options(synchronize_session=False))
    db.session.flush()
    recompute_contest(contest)


def take_freeze_snapshot(contest: Contest) -> int:
    """The board as of the freeze time, from the source (exact even when the clock job runs late)."""
    db.session.execute(delete(ContestFrozenScore).where(ContestFrozenScore.contest_id == contest.id)
                       .execution_options(synchronize_session=False))
    if contest.metric == QUALIFIED_LEADS and lead_model() is None:
        rows = [{"contest_id": contest.id, "league_id": r.league_id, "user_id": r.user_id,
                 "company_id": r.company_id, "actual": r.actual, "value": r.value, "reached_at": r.reached_at}
                for r in _stored(ContestScore, contest).values() if r.reached_at <= contest.freeze_at]
    else:
        rows = [_row(contest, key, row) for key, row in compute_scores(contest, as_of=contest.freeze_at).items()]
    if rows:
        db.session.execute(insert(ContestFrozenScore), rows)
    db.session.flush()
    return len(rows)


def recompute_all(fix: bool = True) -> list[str]:
    """Every scored contest: the drift between the rollup and the source (fixed unless `fix` is False)."""
    drift = []
    for contest in db.session.scalars(select(Contest).where(Contest.status.in_(SCORED_STATES))
                                      .order_by(Contest.id)):
        drift.extend(recompute_contest(contest, fix=fix))
        buckets = bucket_drift(contest.id)  # kept by triggers: a difference means they were bypassed
        if buckets and fix:
            rebuild_buckets(contest.id)
        drift.extend(buckets)
    return drift


def count_scores(contest_id: int) -> int:
    return db.session.scalar(select(func.count(ContestScore.id)).where(
        and_(ContestScore.contest_id == contest_id, ContestScore.value > 0))) or 0
