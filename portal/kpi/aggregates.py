"""Maintained actuals: counters per stage and scope, and distinct people per stage.

The domain events' receivers (kpi/events.py) call these in the sender's transaction, so pages read a few
counter rows instead of scanning claims. `recompute()` rebuilds everything from the source tables
(`flask --app wsgi portal kpi recompute`). A closed stage's stored results (KpiStageResult) are not
touched here: they change only by an explicit recalculation with a reason (stages.recalculate_stage).
"""

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import case, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.core.time import local_date, program_zone
from portal.extensions import db
from portal.kpi.models import AUDIENCE, COMPANY, COUNTER_METRICS, PROGRAM, REGION, KpiCounter, KpiPersonStage, KpiStage

# Which distinct-people counters a person-stage column feeds: (people in the stage, people for the first time).
PEOPLE = {"sales": ("active_people", "new_active"), "courses": ("trained_people", "new_trained")}


def _insert():
    return pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert


def stage_for(day: date | datetime) -> KpiStage | None:
    if isinstance(day, datetime):
        day = local_date(day)
    return db.session.scalar(select(KpiStage).where(KpiStage.starts_on <= day, KpiStage.ends_on >= day).limit(1))


def company_scopes(company_id: int | None, audience: str | None, *, program: bool = True) -> list[tuple[str, str]]:
    from portal.partners.models import PartnerCompany

    scopes = [(PROGRAM, "")] if program else []
    if company_id:
        scopes.append((COMPANY, str(company_id)))
        company = db.session.get(PartnerCompany, company_id)
        if company is not None and company.region:
            scopes.append((REGION, company.region[:120]))
    if audience:
        scopes.append((AUDIENCE, audience))
    return scopes


def bump(stage_id: int, scopes, **deltas: int) -> None:
    """Add deltas to the counters of every scope, atomically (INSERT ... ON CONFLICT DO UPDATE)."""
    deltas = {k: v for k, v in deltas.items() if v}
    if not deltas:
        return
    insert = _insert()
    for kind, key in scopes:
        statement = insert(KpiCounter).values(stage_id=stage_id, scope_kind=kind, scope_key=key, **deltas)
        statement = statement.on_conflict_do_update(
            index_elements=["stage_id", "scope_kind", "scope_key"],
            set_={m: getattr(KpiCounter, m) + statement.excluded[m] for m in deltas})
        db.session.execute(statement)


def _first_row(user_id: int, column: str):
    """The person's earliest stage row with something in `column`: (stage_id, company_id) or None."""
    row = db.session.execute(
        select(KpiPersonStage.stage_id, KpiPersonStage.company_id)
        .join(KpiStage, KpiStage.id == KpiPersonStage.stage_id)
        .where(KpiPersonStage.user_id == user_id, getattr(KpiPersonStage, column) > 0)
        .order_by(KpiStage.starts_on, KpiPersonStage.id).limit(1)).first()
    return tuple(row) if row else None


def _stage_total(stage_id: int, user_id: int, column: str) -> int:
    return int(db.session.scalar(select(func.coalesce(func.sum(getattr(KpiPersonStage, column)), 0)).where(
        KpiPersonStage.stage_id == stage_id, KpiPersonStage.user_id == user_id)) or 0)


def record_person(user, company_id: int | None, day, column: str, sign: int) -> None:
    """A person's approved sale (column 'sales') or passed course ('courses') in the stage of `day`, or its
    reversal (sign -1): keeps the distinct-people counters in step."""
    stage = stage_for(day)
    if stage is None:
        return
    company_key = company_id or 0
    in_stage, first_time = PEOPLE[column]
    first_before = _first_row(user.id, column)
    total_before = _stage_total(stage.id, user.id, column)
    row = db.session.scalar(select(KpiPersonStage).where(
        KpiPersonStage.stage_id == stage.id, KpiPersonStage.user_id == user.id,
        KpiPersonStage.company_id == company_key))
    if row is None:
        row = KpiPersonStage(stage_id=stage.id, user_id=user.id, company_id=company_key, sales=0, courses=0)
        db.session.add(row)
    row_before = getattr(row, column)
    setattr(row, column, max(0, row_before + sign))
    db.session.flush()
    row_after, total_after = getattr(row, column), total_before - row_before + getattr(row, column)
    # Distinct in the stage: per company by the company's row, program-wide by the person's total.
    if (row_before > 0) != (row_after > 0):
        bump(stage.id, company_scopes(company_id, None, program=False), **{in_stage: 1 if row_after else -1})
    if (total_before > 0) != (total_after > 0):
        bump(stage.id, [(PROGRAM, "")] + ([(AUDIENCE, user.audience)] if user.audience else []),
             **{in_stage: 1 if total_after else -1})
    first_after = _first_row(user.id, column)
    if first_before != first_after:
        if first_before is not None:
            bump(first_before[0], company_scopes(first_before[1] or None, user.audience), **{first_time: -1})
        if first_after is not None:
            bump(first_after[0], company_scopes(first_after[1] or None, user.audience), **{first_time: 1})


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


def _source_counts():
    """Every counter and person-stage row computed from claims, courses, people, leads and the ledger."""
    from portal.auth.models import PARTNER_ROLES, User
    from portal.claims.models import APPROVED, Claim, ClaimLine
    from portal.ledger.models import ADJUSTMENT, EXPIRY, ISSUANCE, REDEMPTION, Account, LedgerEntry, LedgerTransaction
    from portal.partners.models import CompanyMembership, PartnerCompany
    from portal.training.models import CourseCompletion

    stages, find = _stage_index()
    regions = dict(db.session.execute(select(PartnerCompany.id, PartnerCompany.region)).all())
    audiences = dict(db.session.execute(select(User.id, User.audience)).all())
    counters: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(COUNTER_METRICS, 0))
    people: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])

    def add(stage_id, company_id, audience, **deltas):
        for scope in [(PROGRAM, "")] + ([(COMPANY, str(company_id))] if company_id else []) \
                + ([(REGION, regions[company_id][:120])] if company_id and regions.get(company_id) else []) \
                + ([(AUDIENCE, audience)] if audience else []):
            for metric, value in deltas.items():
                counters[(stage_id, *scope)][metric] += value

    memberships = defaultdict(list)
    for user_id, company_id, started, ended in db.session.execute(
            select(CompanyMembership.user_id, CompanyMembership.company_id, CompanyMembership.started_at,
                   CompanyMembership.ended_at).order_by(CompanyMembership.started_at, CompanyMembership.id)):
        memberships[user_id].append((company_id, started, ended))
    for user_id, company_id, created_at in db.session.execute(
            select(User.id, User.company_id, User.created_at).where(User.role.in_(PARTNER_ROLES))):
        history = memberships.get(user_id) or []
        first_company = history[0][0] if history else company_id
        stage_id = find(created_at)
        if stage_id:
            add(stage_id, first_company, audiences.get(user_id), registered=1)
        for previous, current in zip(history, history[1:], strict=False):
            move_stage = find(current[1])
            if move_stage and previous[0] != current[0]:
                for company, metric in ((previous[0], "moved_out"), (current[0], "moved_in")):
                    counters[(move_stage, COMPANY, str(company))][metric] += 1
                    if regions.get(previous[0]) != regions.get(current[0]) and regions.get(company):
                        counters[(move_stage, REGION, regions[company][:120])][metric] += 1
    margin = case((ClaimLine.unit_price_kopecks > ClaimLine.unit_cost_kopecks,
                   ClaimLine.quantity * (ClaimLine.unit_price_kopecks - ClaimLine.unit_cost_kopecks)), else_=0)
    for user_id, company_id, invoice_date, claims, sales, units, margin_sum in db.session.execute(
            select(Claim.user_id, Claim.company_id, Claim.invoice_date, func.count(func.distinct(Claim.id)),
                   func.sum(ClaimLine.quantity * ClaimLine.unit_price_kopecks), func.sum(ClaimLine.quantity),
                   func.sum(margin))
            .join(ClaimLine, ClaimLine.claim_id == Claim.id).where(Claim.status == APPROVED)
            .group_by(Claim.user_id, Claim.company_id, Claim.invoice_date)):
        stage_id = find(invoice_date)
        if stage_id:
            add(stage_id, company_id, audiences.get(user_id), claims_approved=int(claims),
                sales_amount=int(sales or 0), units=int(units or 0), margin=int(margin_sum or 0))
            people[(stage_id, user_id, company_id or 0)][0] += int(claims)
    for user_id, company_id, passed_at in db.session.execute(
            select(CourseCompletion.user_id, CourseCompletion.company_id, CourseCompletion.passed_at)):
        stage_id = find(passed_at)
        if stage_id:
            add(stage_id, company_id, audiences.get(user_id), courses_passed=1)
            people[(stage_id, user_id, company_id or 0)][1] += 1
    try:
        from portal.leads.models import Lead

        for user_id, company_id, qualified_at in db.session.execute(
                select(Lead.user_id, Lead.company_id, Lead.qualified_at).where(Lead.qualified_at.is_not(None))):
            stage_id = find(qualified_at)
            if stage_id:
                add(stage_id, company_id, audiences.get(user_id), leads_qualified=1)
    except ImportError:  # a checkout without leads
        pass
    signs = {ISSUANCE: ("points_issued", -1), ADJUSTMENT: ("points_issued", -1),
             REDEMPTION: ("points_redeemed", 1), EXPIRY: ("points_expired", 1)}
    for kind, created_at, amount in db.session.execute(
            select(Account.kind, LedgerTransaction.created_at, LedgerEntry.amount)
            .join(LedgerEntry, LedgerEntry.account_id == Account.id)
            .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
            .where(Account.kind.in_(tuple(signs)))):
        stage_id = find(created_at)
        if stage_id:
            metric, sign = signs[kind]
            counters[(stage_id, PROGRAM, "")][metric] += sign * amount
    # Distinct people: in each stage, and the stage of each person's first time.
    order = {stage.id: index for index, stage in enumerate(stages)}
    for column, (in_stage, first_time) in ((0, PEOPLE["sales"]), (1, PEOPLE["courses"])):
        firsts: dict[int, tuple] = {}
        totals: dict[tuple, int] = defaultdict(int)
        for (stage_id, user_id, company_id), counts in people.items():
            if counts[column] <= 0:
                continue
            if company_id:
                counters[(stage_id, COMPANY, str(company_id))][in_stage] += 1
                if regions.get(company_id):
                    counters[(stage_id, REGION, regions[company_id][:120])][in_stage] += 1
            totals[(stage_id, user_id)] += 1
            best = firsts.get(user_id)
            if best is None or order[stage_id] < order[best[0]]:
                firsts[user_id] = (stage_id, company_id)
        for stage_id, user_id in totals:
            audience = audiences.get(user_id)
            counters[(stage_id, PROGRAM, "")][in_stage] += 1
            if audience:
                counters[(stage_id, AUDIENCE, audience)][in_stage] += 1
        for user_id, (stage_id, company_id) in firsts.items():
            add(stage_id, company_id or None, audiences.get(user_id), **{first_time: 1})
    return stages, counters, people


def recompute(stage_ids: list[int] | None = None) -> int:
    """Rebuild counters and people-per-stage from the source tables (all stages, or the ones given).
    Returns how many counter rows differed. Flushes; the caller commits."""
    stages, counters, people = _source_counts()
    wanted = set(stage_ids) if stage_ids is not None else {s.id for s in stages}
    stored = {(c.stage_id, c.scope_kind, c.scope_key): c
              for c in db.session.scalars(select(KpiCounter).where(KpiCounter.stage_id.in_(wanted)))}
    differing = 0
    for key in set(stored) | {k for k in counters if k[0] in wanted}:
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
    db.session.execute(delete(KpiPersonStage).where(KpiPersonStage.stage_id.in_(wanted)))
    db.session.add_all([KpiPersonStage(stage_id=s, user_id=u, company_id=c, sales=v[0], courses=v[1])
                        for (s, u, c), v in people.items() if s in wanted])
    db.session.flush()
    return differing
