"""Maintained actuals: counters per stage and scope, and distinct people per stage.

The domain events' receivers (kpi/events.py) call these in the sender's transaction, so pages read a few
counter rows instead of scanning claims. `recompute()` rebuilds everything from the source tables
(`flask --app wsgi portal kpi recompute`); `recompute_scope()` does the same for one scope, in the same
code (a group whose membership changed). A closed stage's stored results (KpiStageResult) are not
touched here: they change only by an explicit recalculation with a reason (stages.recalculate_stage).
"""

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import case, delete, false, func, select

from portal.auth.models import PARTNER_ROLES, User
from portal.claims.models import APPROVED, Claim, ClaimLine
from portal.core.sql import upsert_adding
from portal.core.time import local_date, program_zone
from portal.extensions import db
from portal.kpi import totals
from portal.kpi.models import (
    AUDIENCE,
    COMPANY,
    COUNTER_METRICS,
    GROUP,
    PROGRAM,
    REGION,
    KpiCounter,
    KpiPersonScope,
    KpiStage,
)
from portal.leads.models import Lead
from portal.ledger.models import ADJUSTMENT, EXPIRY, ISSUANCE, REDEMPTION, Account, LedgerEntry, LedgerTransaction
from portal.partners import history
from portal.partners.models import CompanyMembership, GroupMembership, PartnerCompany
from portal.training.models import CourseCompletion

# Which people counters a person-scope column feeds: (people in the stage, people for the first time ever,
# people for the first time in the scope).
PEOPLE = {"sales": ("active_people", "new_active", "first_selling"),
          "courses": ("trained_people", "new_trained", "first_trained")}
COLUMNS = ("sales", "courses")


def stage_for(day: date | datetime) -> KpiStage | None:
    if isinstance(day, datetime):
        day = local_date(day)
    return db.session.scalar(select(KpiStage).where(KpiStage.starts_on <= day, KpiStage.ends_on >= day).limit(1))


def event_day(when: date | datetime) -> date:
    """The program-calendar day an event counts on: a sale's invoice date, a moment's local day."""
    return local_date(when) if isinstance(when, datetime) else when


def company_scopes(company_id: int | None, audience: str | None, *, program: bool = True,
                   day: date | None = None) -> list[tuple[str, str]]:
    """The scopes an event counts for: the program, the company and its region, the audience, and (when the
    event's day is given) the groups the company belonged to on that day."""
    scopes = [(PROGRAM, "")] if program else []
    if company_id:
        scopes.append((COMPANY, str(company_id)))
        company = db.session.get(PartnerCompany, company_id)
        if company is not None and company.region:
            scopes.append((REGION, company.region[:120]))
    if audience:
        scopes.append((AUDIENCE, audience))
    if company_id and day is not None:
        scopes.extend((GROUP, str(group_id)) for group_id in sorted(history.group_ids_on(company_id, day)))
    return scopes


def event_scopes(user_id: int, company_id: int | None, when: date | datetime) -> list[tuple[str, str]]:
    """The scopes of a person's event on its day: the recorded company, the audience and groups of that day.
    A reversal calls this with the original event's day, so it undoes exactly what the event counted."""
    day = event_day(when)
    return company_scopes(company_id, history.audience_on(user_id, day), day=day)


def bump(stage_id: int, scopes, **deltas: int) -> None:
    """Add deltas to the counters of every scope, atomically (INSERT ... ON CONFLICT DO UPDATE)."""
    deltas = {k: v for k, v in deltas.items() if v}
    if not deltas:
        return
    metrics = tuple(sorted(deltas))
    upsert_adding(KpiCounter, [{"stage_id": stage_id, "scope_kind": kind, "scope_key": key, **deltas}
                               for kind, key in scopes], ("stage_id", "scope_kind", "scope_key"), metrics)
    totals.add_to_totals(stage_id, scopes, deltas)


def people_contributions(rows, column: str) -> set[tuple[int, str, str, str]]:
    """What one person adds to the people counters, from their person-scope rows with something in `column`
    [(stage starts_on, stage id, scope kind, scope key)]: a set of (stage id, scope kind, scope key, metric).

    In a stage they count once per scope they were counted in; as new (first time ever) in every scope of the
    stage of their first time; as first in a scope in the stage of their first time in that scope. The live
    counters and the rebuild both use this, so they cannot disagree."""
    in_stage, first_time, first_in_scope = PEOPLE[column]
    if not rows:
        return set()
    result = {(stage_id, kind, key, in_stage) for _starts, stage_id, kind, key in rows}
    program_rows = [(starts, stage_id) for starts, stage_id, kind, _key in rows if kind == PROGRAM]
    first = min(program_rows or [(starts, stage_id) for starts, stage_id, _k, _key in rows])[1]
    result |= {(stage_id, kind, key, first_time) for _starts, stage_id, kind, key in rows if stage_id == first}
    if first_in_scope:
        firsts: dict[tuple[str, str], tuple] = {}
        for starts, stage_id, kind, key in rows:
            if (kind, key) not in firsts or (starts, stage_id) < firsts[(kind, key)]:
                firsts[(kind, key)] = (starts, stage_id)
        result |= {(stage_id, kind, key, first_in_scope) for (kind, key), (_s, stage_id) in firsts.items()}
    return result


def _person_rows(user_id: int, column: str) -> list[tuple]:
    return [tuple(row) for row in db.session.execute(
        select(KpiStage.starts_on, KpiPersonScope.stage_id, KpiPersonScope.scope_kind, KpiPersonScope.scope_key)
        .join(KpiStage, KpiStage.id == KpiPersonScope.stage_id)
        .where(KpiPersonScope.user_id == user_id, getattr(KpiPersonScope, column) > 0))]


def record_person(user_id: int, stage_id: int, scopes, column: str, sign: int) -> None:
    """A person's approved sale (column 'sales') or passed course ('courses') in a stage, counted for `scopes`,
    or its reversal (sign -1): keeps the people counters of every scope in step."""
    before = people_contributions(_person_rows(user_id, column), column)
    rows = {(r.scope_kind, r.scope_key): r for r in db.session.scalars(select(KpiPersonScope).where(
        KpiPersonScope.stage_id == stage_id, KpiPersonScope.user_id == user_id))}
    for kind, key in scopes:
        row = rows.get((kind, key))
        if row is None:
            row = KpiPersonScope(stage_id=stage_id, user_id=user_id, scope_kind=kind, scope_key=key, sales=0,
                                 courses=0)
            db.session.add(row)
        setattr(row, column, max(0, getattr(row, column) + sign))
    db.session.flush()
    after = people_contributions(_person_rows(user_id, column), column)
    changes: dict[tuple[int, str, int], list] = defaultdict(list)
    for contribution in before - after:
        changes[(contribution[0], contribution[3], -1)].append(contribution[1:3])
    for contribution in after - before:
        changes[(contribution[0], contribution[3], +1)].append(contribution[1:3])
    for (changed_stage, metric, delta), changed_scopes in changes.items():
        bump(changed_stage, changed_scopes, **{metric: delta})


# --- rebuilding from the source tables ------------------------------------------------------------------


def _stage_index():
    stages = list(db.session.scalars(select(KpiStage).order_by(KpiStage.starts_on)))
    zone = program_zone()  # read once: the rebuild looks up a stage for every ledger entry

    def find(day):
        if day is None:
            return None
        if isinstance(day, datetime):
            day = local_date(day, zone)
        for stage in stages:
            if stage.starts_on <= day <= stage.ends_on:
                return stage.id
        return None

    return stages, find


def _scope_companies(scope: tuple[str, str] | None, regions: dict):
    """The companies whose events can count for `scope` (a select, for the source queries), or None when any
    event can (the whole rebuild, the program, an audience)."""
    if scope is None:
        return None
    kind, key = scope
    if kind == GROUP:
        return select(GroupMembership.company_id).where(GroupMembership.group_id == int(key)).distinct()
    if kind == COMPANY:
        return [int(key)]
    if kind == REGION:
        return [company_id for company_id, region in regions.items() if region and region[:120] == key]
    return None


def _source_counts(only: tuple[str, str] | None = None):
    """Every counter and person-scope row computed from claims, courses, people, leads and the ledger, each
    event counted for the scopes of its day (the same scopes the live receivers use).

    With `only` a scope (a group, a company, a region) only the events that can count for it are read: the events of
    its companies, and every sale and course of the people who sold or trained there (their first time ever
    decides the "new" people counters). The counters and rows of that scope come out exactly as in the whole
    rebuild; those of other scopes are partial and must be ignored (recompute does)."""
    stages, find = _stage_index()
    zone = program_zone()
    starts = {stage.id: stage.starts_on for stage in stages}
    regions = dict(db.session.execute(select(PartnerCompany.id, PartnerCompany.region)).all())
    companies = _scope_companies(only, regions)
    # The kinds of scope worth looking up: all for the whole rebuild; for one scope, its own and the program's (the
    # program rows decide a person's first stage ever).
    kinds = None if only is None else {PROGRAM, only[0]}
    counters: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(COUNTER_METRICS, 0))
    people: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    audiences: dict[tuple, str | None] = {}
    groups: dict[tuple, frozenset] = {}
    # Only companies that ever sat in a group are asked which groups they belonged to on a day.
    grouped = set(db.session.scalars(select(GroupMembership.company_id).distinct()))

    def scopes_on(user_id, company_id, day):
        if (user_id, day) not in audiences:
            audiences[(user_id, day)] = history.audience_on(user_id, day) if wanted(AUDIENCE) else None
        audience = audiences[(user_id, day)]
        scopes = [(PROGRAM, "")]
        if company_id:
            scopes.append((COMPANY, str(company_id)))
            if regions.get(company_id):
                scopes.append((REGION, regions[company_id][:120]))
        if audience:
            scopes.append((AUDIENCE, audience))
        if company_id in grouped and wanted(GROUP):
            if (company_id, day) not in groups:
                groups[(company_id, day)] = history.group_ids_on(company_id, day)
            scopes.extend((GROUP, str(group_id)) for group_id in sorted(groups[(company_id, day)]))
        return scopes

    def wanted(kind):
        return kinds is None or kind in kinds

    def add(stage_id, scopes, **deltas):
        for scope in scopes:
            for metric, value in deltas.items():
                counters[(stage_id, *scope)][metric] += value

    def day_of(when):
        return local_date(when, zone) if isinstance(when, datetime) else when

    def of_people(model, query):
        """Restrict a source query of `model` to the people who ever had such an event at the scope's companies."""
        return query if companies is None else query.where(model.user_id.in_(
            select(model.user_id).where(model.company_id.in_(companies))))

    def at_companies(column, query):
        return query if companies is None else query.where(column.in_(companies))

    memberships = defaultdict(list)
    people_there = None
    if companies is not None:  # the people who ever worked at the scope's companies (registrations, moves)
        people_there = select(CompanyMembership.user_id).where(CompanyMembership.company_id.in_(companies)).union(
            select(User.id).where(User.company_id.in_(companies)))
    membership_query = select(CompanyMembership.user_id, CompanyMembership.company_id, CompanyMembership.started_at,
                              CompanyMembership.ended_at).order_by(CompanyMembership.started_at, CompanyMembership.id)
    user_query = select(User.id, User.company_id, User.created_at).where(User.role.in_(PARTNER_ROLES))
    if people_there is not None:
        membership_query = membership_query.where(CompanyMembership.user_id.in_(people_there))
        user_query = user_query.where(User.id.in_(people_there))
    for user_id, company_id, started, ended in db.session.execute(membership_query):
        memberships[user_id].append((company_id, started, ended))
    scope_companies = None if companies is None else set(
        companies if isinstance(companies, list) else db.session.scalars(companies))
    for user_id, company_id, created_at in db.session.execute(user_query):
        membership = memberships.get(user_id) or []
        first_company = membership[0][0] if membership else company_id
        stage_id = find(created_at)
        if stage_id and (scope_companies is None or first_company in scope_companies):
            add(stage_id, scopes_on(user_id, first_company, day_of(created_at)), registered=1)
        for previous, current in zip(membership, membership[1:], strict=False):
            move_stage = find(current[1])
            if move_stage and previous[0] != current[0]:
                for company, metric in ((previous[0], "moved_out"), (current[0], "moved_in")):
                    counters[(move_stage, COMPANY, str(company))][metric] += 1
                    if regions.get(previous[0]) != regions.get(current[0]) and regions.get(company):
                        counters[(move_stage, REGION, regions[company][:120])][metric] += 1
    margin = case((ClaimLine.unit_price_kopecks > ClaimLine.unit_cost_kopecks,
                   ClaimLine.quantity * (ClaimLine.unit_price_kopecks - ClaimLine.unit_cost_kopecks)), else_=0)
    for user_id, company_id, invoice_date, claims, sales, units, margin_sum in db.session.execute(of_people(
            Claim,
            select(Claim.user_id, Claim.company_id, Claim.invoice_date, func.count(func.distinct(Claim.id)),
                   func.sum(ClaimLine.quantity * ClaimLine.unit_price_kopecks), func.sum(ClaimLine.quantity),
                   func.sum(margin))
            .join(ClaimLine, ClaimLine.claim_id == Claim.id).where(Claim.status == APPROVED)
            .group_by(Claim.user_id, Claim.company_id, Claim.invoice_date))):
        stage_id = find(invoice_date)
        if stage_id:
            scopes = scopes_on(user_id, company_id, invoice_date)
            add(stage_id, scopes, claims_approved=int(claims), sales_amount=int(sales or 0), units=int(units or 0),
                margin=int(margin_sum or 0))
            for scope in scopes:
                people[(stage_id, user_id, *scope)][0] += int(claims)
    for user_id, company_id, passed_at in db.session.execute(of_people(
            CourseCompletion,
            select(CourseCompletion.user_id, CourseCompletion.company_id, CourseCompletion.passed_at))):
        stage_id = find(passed_at)
        if stage_id:
            scopes = scopes_on(user_id, company_id, day_of(passed_at))
            add(stage_id, scopes, courses_passed=1)
            for scope in scopes:
                people[(stage_id, user_id, *scope)][1] += 1
    try:
        for user_id, company_id, qualified_at in db.session.execute(at_companies(
                Lead.company_id,
                select(Lead.user_id, Lead.company_id, Lead.qualified_at).where(Lead.qualified_at.is_not(None)))):
            stage_id = find(qualified_at)
            if stage_id:
                add(stage_id, scopes_on(user_id, company_id, day_of(qualified_at)), leads_qualified=1)
    except ImportError:  # a checkout without leads
        pass
    signs = {ISSUANCE: ("points_issued", -1), ADJUSTMENT: ("points_issued", -1),
             REDEMPTION: ("points_redeemed", 1), EXPIRY: ("points_expired", 1)}
    points = (select(Account.kind, LedgerTransaction.created_at, LedgerEntry.amount)
              .join(LedgerEntry, LedgerEntry.account_id == Account.id)
              .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
              .where(Account.kind.in_(tuple(signs))))
    if only not in (None, (PROGRAM, "")):
        points = points.where(false())  # points count for the program alone
    for kind, created_at, amount in db.session.execute(points):
        stage_id = find(created_at)
        if stage_id:
            metric, sign = signs[kind]
            counters[(stage_id, PROGRAM, "")][metric] += sign * amount
    # The people counters: each person's contributions from their rows, exactly as the live receivers derive them.
    rows_by_person: dict[tuple[int, str], list] = defaultdict(list)
    for (stage_id, user_id, kind, key), counts in people.items():
        for index, column in enumerate(COLUMNS):
            if counts[index] > 0:
                rows_by_person[(user_id, column)].append((starts[stage_id], stage_id, kind, key))
    for (_user_id, column), rows in rows_by_person.items():
        for stage_id, kind, key, metric in people_contributions(rows, column):
            counters[(stage_id, kind, key)][metric] += 1
    return stages, counters, people


def recompute(stage_ids: list[int] | None = None, scope: tuple[str, str] | None = None) -> int:
    """Rebuild counters and people-per-stage from the source tables (all stages, or the ones given; every scope,
    or the one given). Returns how many counter rows differed. Flushes; the caller commits."""
    stages, counters, people = _source_counts(only=scope)
    wanted = set(stage_ids) if stage_ids is not None else {s.id for s in stages}

    def kept(stage_id, kind, key):
        return stage_id in wanted and (scope is None or (kind, key) == scope)

    counter_rows = select(KpiCounter).where(KpiCounter.stage_id.in_(wanted))
    person_rows = delete(KpiPersonScope).where(KpiPersonScope.stage_id.in_(wanted))
    if scope is not None:
        counter_rows = counter_rows.where(KpiCounter.scope_kind == scope[0], KpiCounter.scope_key == scope[1])
        person_rows = person_rows.where(KpiPersonScope.scope_kind == scope[0], KpiPersonScope.scope_key == scope[1])
    stored = {(c.stage_id, c.scope_kind, c.scope_key): c for c in db.session.scalars(counter_rows)}
    differing = 0
    for key in set(stored) | {k for k in counters if kept(*k)}:
        truth = counters.get(key, dict.fromkeys(COUNTER_METRICS, 0))
        row = stored.get(key)
        if row is None:
            if not any(truth.values()):
                continue
            row = KpiCounter(stage_id=key[0], scope_kind=key[1], scope_key=key[2])
            db.session.add(row)
            differing += 1
        elif any(getattr(row, m) != truth[m] for m in COUNTER_METRICS):
            differing += 1
        for metric in COUNTER_METRICS:
            setattr(row, metric, truth[metric])
    db.session.execute(person_rows)
    db.session.add_all([KpiPersonScope(stage_id=s, user_id=u, scope_kind=kind, scope_key=key, sales=v[0],
                                       courses=v[1])
                        for (s, u, kind, key), v in people.items() if kept(s, kind, key)])
    db.session.flush()
    totals.rebuild_totals(scope)
    if scope is None and stage_ids is None:
        totals.rebuild_points_days()
    return differing


def recompute_scope(kind: str, key: str, since: date | None = None) -> int:
    """Rebuild one scope's counters and people rows (a group whose membership changed) from the source tables, in
    the stages from the day `since` on (every stage when None), counted exactly as recompute() counts. A closed
    stage's stored results are not touched. Returns how many counter rows differed. Flushes."""
    stage_ids = None
    if since is not None:
        stage_ids = list(db.session.scalars(select(KpiStage.id).where(KpiStage.ends_on >= since)))
    return recompute(stage_ids, scope=(kind, str(key)))
