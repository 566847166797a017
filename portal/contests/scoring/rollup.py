"""The contest scores that boards read: kept up by the event receivers (`bump_score`), rebuilt from the source
rows by the same rules (`compute_scores`, `recompute_contest`, which reports drift) and frozen as of a freeze time.

`reached_at` is the time of the last event that changed the participant's value, so equal values rank by
who got there first."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, delete, func, insert, select, update
from sqlalchemy.orm import selectinload

from portal.auth.models import User
from portal.claims.models import APPROVED, REVERSED, Claim, ClaimEvent, ClaimLine
from portal.contests.boards import bucket_drift, rebuild_buckets
from portal.contests.models import (
    CLAIM_METRICS,
    COURSES_PASSED,
    PLAN_PERCENT,
    QUALIFIED_LEADS,
    SCORED_STATES,
    Contest,
    ContestFrozenScore,
    ContestScore,
)
from portal.contests.scoring.rules import (
    Scope,
    claim_amount,
    claim_day,
    event_day,
    league_for,
    percent_of,
    period_dates,
    prepare,
)
from portal.core.sql import insert_ignoring_duplicates
from portal.extensions import db
from portal.plans.services import plan_targets
from portal.training.models import CourseCompletion


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
