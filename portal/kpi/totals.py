"""Maintained sums the KPI pages read instead of scanning: each company's and group's figures over the stages
(KpiScopeTotal), and the points issued per day of the program's calendar (KpiPointsDay).

The counters' receivers keep both in the sender's transaction (aggregates.bump adds to a scope's total what it
adds to an open stage's counter; the ledger's postings add their issued points to their day). Whatever else
changes counters or stored results (a stage closed, recalculated or deleted, a recompute) rebuilds the totals from
them with `rebuild_totals`; `portal check` compares both sums with a rebuild from their sources."""

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import delete, func, insert, select, union_all

from portal.core.sql import upsert_adding
from portal.core.time import local_date, program_zone
from portal.extensions import db
from portal.kpi.models import TOTALED, TOTALED_SCOPES, KpiCounter, KpiPointsDay, KpiScopeTotal, KpiStage, KpiStageResult
from portal.ledger.models import ADJUSTMENT, ISSUANCE, Account, LedgerEntry, LedgerTransaction


def add_to_totals(stage_id: int, scopes, deltas: dict[str, int]) -> None:
    """What a counter of an open stage just received, added to the totals of its company and group scopes (a row
    appears with the scope's first counter, even when none of the summed figures moved). A closed stage's figures
    are its stored results: its late events leave the totals as they are."""
    scopes = [(kind, key) for kind, key in scopes if kind in TOTALED_SCOPES]
    if not scopes:
        return
    stage = db.session.get(KpiStage, stage_id)
    if stage is None or stage.closed_at is not None:
        return
    summed = {metric: value for metric, value in deltas.items() if metric in TOTALED}
    upsert_adding(KpiScopeTotal, [{"scope_kind": kind, "scope_key": key, **summed} for kind, key in scopes],
                  ("scope_kind", "scope_key"), tuple(sorted(summed)))


def totals_from_counters(scope: tuple[str, str] | None = None):
    """The totals as the counters and stored results give them: a select of (kind, key, *TOTALED)."""
    parts = []
    for model, closed in ((KpiStageResult, True), (KpiCounter, False)):
        stages = select(KpiStage.id).where(KpiStage.closed_at.is_not(None) if closed else KpiStage.closed_at.is_(None))
        part = select(model.scope_kind.label("kind"), model.scope_key.label("key"),
                      *(getattr(model, m).label(m) for m in TOTALED)).where(model.stage_id.in_(stages))
        if scope is None:
            part = part.where(model.scope_kind.in_(TOTALED_SCOPES))
        else:
            part = part.where(model.scope_kind == scope[0], model.scope_key == scope[1])
        parts.append(part)
    rows = union_all(*parts).subquery()
    return select(rows.c.kind, rows.c.key, *(func.coalesce(func.sum(rows.c[m]), 0).label(m) for m in TOTALED)) \
        .group_by(rows.c.kind, rows.c.key)


def rebuild_totals(scope: tuple[str, str] | None = None) -> None:
    """Write the totals again from the counters and stored results (every company and group, or one scope).
    Flushes."""
    if scope is not None and scope[0] not in TOTALED_SCOPES:
        return
    db.session.flush()
    stale = delete(KpiScopeTotal)
    if scope is not None:
        stale = stale.where(KpiScopeTotal.scope_kind == scope[0], KpiScopeTotal.scope_key == scope[1])
    db.session.execute(stale)
    db.session.execute(insert(KpiScopeTotal).from_select(["scope_kind", "scope_key", *TOTALED],
                                                         totals_from_counters(scope)))
    db.session.flush()


def stored_totals() -> dict[tuple[str, str], tuple[int, ...]]:
    rows = db.session.execute(select(KpiScopeTotal.scope_kind, KpiScopeTotal.scope_key,
                                     *(getattr(KpiScopeTotal, m) for m in TOTALED)))
    return {(kind, key): tuple(int(v) for v in values) for kind, key, *values in rows}


def rebuilt_totals() -> dict[tuple[str, str], tuple[int, ...]]:
    return {(kind, key): tuple(int(v) for v in values)
            for kind, key, *values in db.session.execute(totals_from_counters())}


# --- points issued per day -------------------------------------------------------------------------------------


def add_points_issued(moment: datetime, points: int) -> None:
    """A posting's issued points (negative for a reversal) added to its day of the program's calendar: one upsert."""
    if not points:
        return
    upsert_adding(KpiPointsDay, [{"day": local_date(moment), "issued": points}], ("day",), ("issued",))


def issued_between(first_day: date, last_day: date) -> int:
    """Points issued (net of reversals and adjustments) in the program's days `first_day` to `last_day`."""
    return int(db.session.scalar(select(func.coalesce(func.sum(KpiPointsDay.issued), 0))
                                 .where(KpiPointsDay.day >= first_day, KpiPointsDay.day <= last_day)) or 0)


def points_days_from_ledger() -> dict[date, int]:
    """Points issued per program day from the ledger's issuing entries (summed per minute by the database, then
    put on the program's calendar: every time zone's offset is whole minutes)."""
    moment = LedgerTransaction.created_at
    if db.session.get_bind().dialect.name == "postgresql":
        minute = func.date_trunc("minute", moment)
    else:
        minute = func.strftime("%Y-%m-%d %H:%M", moment)
    rows = db.session.execute(
        select(minute, func.sum(LedgerEntry.amount))
        .join(Account, Account.id == LedgerEntry.account_id)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(Account.kind.in_((ISSUANCE, ADJUSTMENT))).group_by(minute))
    zone, days = program_zone(), defaultdict(int)
    for when, amount in rows:
        if isinstance(when, str):
            when = datetime.fromisoformat(when)
        days[local_date(when.replace(tzinfo=None), zone)] -= int(amount or 0)
    return {day: issued for day, issued in days.items() if issued}


def stored_points_days() -> dict[date, int]:
    return {day: int(issued) for day, issued in db.session.execute(select(KpiPointsDay.day, KpiPointsDay.issued))
            if issued}


def rebuild_points_days() -> None:
    """Write the points issued per day again from the ledger. Flushes."""
    db.session.execute(delete(KpiPointsDay))
    rows = [{"day": day, "issued": issued} for day, issued in sorted(points_days_from_ledger().items())]
    if rows:
        db.session.execute(insert(KpiPointsDay), rows)
    db.session.flush()
