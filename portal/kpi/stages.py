"""Stages: the program's months by default, or custom dates; closing a stage stores its actuals, and a closed
stage changes only by an explicit recalculation with a reason, logged.

The live counters keep following events after a stage closes (a sale approved late still counts in the stage of
its invoice date), so a closed stage whose stored results differ from its live counters has "changed since
closing": `closed_stage_drift()` lists the differences per KPI, the stage pages show them, and a recalculation
stores the live figures again. Two managers recalculating at once: the stage's row is locked first, and the one
who comes second, having seen the stage before the first one's recalculation, is told so and changes nothing."""

import calendar
from dataclasses import dataclass
from datetime import date

from babel.numbers import format_percent
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from portal.core.errors import DomainError
from portal.core.formatting import number, rub
from portal.core.params import clean_text
from portal.core.time import local_date, today, utcnow
from portal.extensions import db
from portal.kpi import aggregates, totals
from portal.kpi.kpis import BY_CODE
from portal.kpi.models import COUNTER_METRICS, PROGRAM, KpiCounter, KpiStage, KpiStageLog, KpiStageResult
from portal.kpi.table import counters, registered_before

MAX_STAGE_DAYS = 366


def all_stages() -> list[KpiStage]:
    return list(db.session.scalars(select(KpiStage).order_by(KpiStage.starts_on)))


def month_name(day: date) -> str:
    return format_date(day, "LLLL y").capitalize()


def current_stage(day: date | None = None) -> KpiStage | None:
    return aggregates.stage_for(day or today())


def _check(starts_on: date, ends_on: date, name: str, budget: int, stage: KpiStage | None = None) -> None:
    if ends_on < starts_on:
        raise DomainError(_l("The stage ends before it starts."), field="ends_on")
    if (ends_on - starts_on).days + 1 > MAX_STAGE_DAYS:
        raise DomainError(_l("A stage is at most a year long."), field="ends_on")
    if not 2000 <= starts_on.year <= 2100 or not 2000 <= ends_on.year <= 2100:
        raise DomainError(_l("Choose dates between 2000 and 2100."), field="starts_on")
    if budget < 0:
        raise DomainError(_l("The prize fund cannot be negative."), field="budget")
    if not clean_text(name).strip():
        raise DomainError(_l("Name the stage."), field="name")
    clash = db.session.scalar(select(KpiStage).where(
        KpiStage.starts_on <= ends_on, KpiStage.ends_on >= starts_on,
        KpiStage.id != (stage.id if stage is not None else -1)).limit(1))
    if clash is not None:
        raise DomainError(_l("The stage overlaps «%(name)s» (%(start)s – %(end)s): stages may not overlap.",
                             name=clash.name, start=format_date(clash.starts_on), end=format_date(clash.ends_on)),
                          field="starts_on")


def save_stage(name: str, starts_on: date, ends_on: date, budget_kopecks: int = 0,
               stage: KpiStage | None = None) -> KpiStage:
    """Create or change a stage; its actuals are rebuilt from the source tables for its new dates."""
    _check(starts_on, ends_on, name, budget_kopecks, stage)
    if stage is not None and stage.closed_at is not None and (stage.starts_on, stage.ends_on) != (starts_on, ends_on):
        raise DomainError(_l("A closed stage keeps its dates."), field="starts_on")
    if stage is None:
        stage = KpiStage()
        db.session.add(stage)
    stage.name, stage.starts_on, stage.ends_on, stage.budget_kopecks = clean_text(name).strip()[:60], starts_on, \
        ends_on, budget_kopecks
    db.session.flush()
    aggregates.recompute()
    return stage


def add_months(year: int, first_month: int, last_month: int) -> list[KpiStage]:
    """The program's months as stages (the default), skipping months another stage already covers."""
    if not (2000 <= year <= 2100 and 1 <= first_month <= last_month <= 12):
        raise DomainError(_l("Choose months from January to December, the first not after the last."),
                          field="first_month")
    created = []
    for month in range(first_month, last_month + 1):
        start = date(year, month, 1)
        end = date(year, month, calendar.monthrange(year, month)[1])
        if db.session.scalar(select(KpiStage.id).where(KpiStage.starts_on <= end, KpiStage.ends_on >= start)):
            continue
        stage = KpiStage(name=month_name(start), starts_on=start, ends_on=end, budget_kopecks=0)
        db.session.add(stage)
        created.append(stage)
    db.session.flush()
    if created:
        aggregates.recompute()
    return created


def delete_stage(stage: KpiStage) -> None:
    if stage.closed_at is not None:
        raise DomainError(_l("A closed stage cannot be deleted."))
    db.session.delete(stage)
    db.session.flush()
    totals.rebuild_totals()


def _program_figures(model, stage_id: int) -> dict:
    row = db.session.scalar(select(model).where(model.stage_id == stage_id, model.scope_kind == PROGRAM,
                                                model.scope_key == ""))
    return {m: getattr(row, m) if row is not None else 0 for m in COUNTER_METRICS}


def _store_results(stage: KpiStage) -> None:
    db.session.execute(delete(KpiStageResult).where(KpiStageResult.stage_id == stage.id))
    for counter in db.session.scalars(select(KpiCounter).where(KpiCounter.stage_id == stage.id)):
        db.session.add(KpiStageResult(stage_id=stage.id, scope_kind=counter.scope_kind, scope_key=counter.scope_key,
                                      **{m: getattr(counter, m) for m in COUNTER_METRICS}))
    db.session.flush()


def close_stage(stage: KpiStage, actor=None) -> None:
    """Store the stage's actuals as they are now; from here on the stage reads its stored results."""
    if stage.closed_at is not None:
        return
    _store_results(stage)
    stage.closed_at = utcnow()
    db.session.add(KpiStageLog(stage_id=stage.id, action="closed", reason="",
                               changes={}, actor_id=actor.id if actor is not None else None))
    db.session.flush()
    totals.rebuild_totals()  # from here on the stage's stored results are its figures


def close_due_stages(now=None) -> int:
    """The job: close every stage that has ended. Commits stage by stage."""
    day = local_date(now or utcnow())
    closed = 0
    for stage in db.session.scalars(select(KpiStage).where(KpiStage.closed_at.is_(None), KpiStage.ends_on < day)
                                    .order_by(KpiStage.starts_on)).all():
        close_stage(stage)
        db.session.commit()
        closed += 1
    return closed


def last_log_id(stage: KpiStage) -> int:
    """The newest log entry of the stage (0 when none): the recalculation form carries it, so a recalculation
    made by someone else in between is noticed."""
    return int(db.session.scalar(select(func.max(KpiStageLog.id)).where(KpiStageLog.stage_id == stage.id)) or 0)


def last_log_ids(stage_ids: list[int]) -> dict[int, int]:
    """last_log_id of many stages in one statement (the stages list)."""
    rows = db.session.execute(select(KpiStageLog.stage_id, func.max(KpiStageLog.id))
                              .where(KpiStageLog.stage_id.in_(stage_ids)).group_by(KpiStageLog.stage_id))
    return {stage_id: 0 for stage_id in stage_ids} | {stage_id: int(last) for stage_id, last in rows}


def _lock_stage(stage: KpiStage) -> None:
    """Take the stage's row for this transaction: PostgreSQL locks the row, SQLite takes its write lock, so a
    second recalculation waits for the first to commit and then reads what it wrote."""
    db.session.execute(update(KpiStage).where(KpiStage.id == stage.id).values(closed_at=KpiStage.closed_at)
                       .execution_options(synchronize_session=False))


def _levels(live: bool, stages: list[KpiStage] | None = None, figures: dict | None = None,
            before: int | None = None) -> dict[int, int]:
    """Everyone registered by each stage's end (the shares' denominator), from the stored results of closed
    stages as the pages show them, or from the live counters only. The stages, their program figures and the
    people registered before them are read unless given."""
    stages = all_stages() if stages is None else stages
    if figures is None:
        figures = _program_rows(KpiCounter, [s.id for s in stages]) if live else counters(stages, PROGRAM, "")
    level = registered_before(stages[0].starts_on if stages else None, PROGRAM, "") if before is None else before
    levels = {}
    for s in stages:
        f = figures.get(s.id) or dict.fromkeys(COUNTER_METRICS, 0)
        level += f["registered"] + f["moved_in"] - f["moved_out"]
        levels[s.id] = level
    return levels


def recalculate_stage(stage: KpiStage, reason: str, actor, seen: int | None = None) -> dict:
    """Rebuild a closed stage's actuals from the source tables and store them again, logging the reason and
    what changed at the program level ([before, after]; shares [before, after, denominator before, after]).

    `seen` is the stage's last log entry the manager saw: when someone recalculated the stage since, nothing is
    done and the manager is told (two managers pressing the button together get one recalculation)."""
    reason = clean_text(reason).strip()
    if stage.closed_at is None:
        raise DomainError(_l("Only a closed stage is recalculated: an open one follows the events by itself."))
    if not reason:
        raise DomainError(_l("Give the reason for the recalculation."), field="reason")
    _lock_stage(stage)
    if seen is not None and last_log_id(stage) != seen:
        latest = db.session.scalar(select(KpiStageLog).where(KpiStageLog.stage_id == stage.id)
                                   .order_by(KpiStageLog.id.desc()).limit(1))
        raise DomainError(_l("«%(stage)s» changed while you were looking at it: %(who)s already recalculated it "
                             "at %(when)s. Look at its figures again before recalculating.", stage=stage.name,
                             who=latest.actor.full_name if latest.actor else _l("the schedule"),
                             when=format_datetime(latest.at, "short")))
    before = _program_figures(KpiStageResult, stage.id)
    level_before = _levels(live=False)[stage.id]
    aggregates.recompute([stage.id])
    _store_results(stage)
    totals.rebuild_totals()
    after = _program_figures(KpiStageResult, stage.id)
    level_after = _levels(live=False)[stage.id]
    changes = {}
    for m in COUNTER_METRICS:
        if m in SHARE_METRICS and (before[m], level_before) != (after[m], level_after):
            changes[m] = [before[m], after[m], level_before, level_after]
        elif before[m] != after[m]:
            changes[m] = [before[m], after[m]]
    db.session.add(KpiStageLog(stage_id=stage.id, action="recalculated", reason=reason[:500], changes=changes,
                               actor_id=actor.id))
    db.session.flush()
    return changes


def stage_log(limit: int = 50) -> list[KpiStageLog]:
    return list(db.session.scalars(select(KpiStageLog).order_by(KpiStageLog.at.desc(), KpiStageLog.id.desc())
                                   .limit(limit)))


# --- changed since closing, in people's words ---------------------------------------------------------------

MONEY, COUNT, SHARE = "money", "count", "share"


@dataclass(frozen=True)
class Measure:
    """A counter as people read it: the KPI it feeds (its label and code), or a label of its own."""

    metric: str
    code: str
    label: object
    kind: str = COUNT


def _kpi_measure(metric: str, code: str) -> Measure:
    kpi = BY_CODE[code]
    return Measure(metric, code, kpi.label, MONEY if kpi.money else SHARE if kpi.kind == "share" else COUNT)


MEASURES: list[Measure] = [
    _kpi_measure("registered", "registered"),
    _kpi_measure("new_active", "active"),
    _kpi_measure("new_trained", "trained"),
    _kpi_measure("active_people", "selling"),
    _kpi_measure("claims_approved", "claims_approved"),
    _kpi_measure("sales_amount", "sales_amount"),
    _kpi_measure("margin", "margin"),
    _kpi_measure("units", "units"),
    _kpi_measure("courses_passed", "courses_passed"),
    _kpi_measure("leads_qualified", "leads_qualified"),
    _kpi_measure("points_issued", "points_issued"),
    Measure("points_redeemed", "points_redeemed", _l("Points redeemed")),
    Measure("points_expired", "points_expired", _l("Points expired")),
    Measure("trained_people", "trained_people", _l("Participants who passed a course in the stage")),
    Measure("moved_in", "moved_in", _l("Moved in from another company")),
    Measure("moved_out", "moved_out", _l("Moved to another company")),
]
BY_METRIC = {m.metric: m for m in MEASURES}
SHARE_METRICS = {m.metric for m in MEASURES if m.kind == SHARE}


def _percent(part: int, whole: int) -> str:
    return format_percent(round(part / whole, 3), locale=get_locale(), decimal_quantization=False)


def shown_value(kind: str, value: int, denominator: int | None = None) -> str:
    """A figure in the reader's locale: roubles for money, a number with thousands separators for counts, a
    percentage (with the number of people) for shares."""
    if kind == MONEY:
        return rub(value)
    if kind == SHARE and denominator:
        return f"{_percent(value, denominator)} ({number(value)})"
    return number(value)


def describe_change(key: str, values: list[int]) -> str:
    """One logged change, "Сумма продаж: 27 793 659,00 ₽ → 27 837 183,00 ₽"; a key nobody named stays as stored."""
    measure = BY_METRIC.get(key)
    kind = measure.kind if measure else COUNT
    denominators = values[2:4] if len(values) >= 4 else [None, None]
    before, after = (shown_value(kind, v, d) for v, d in zip(values[:2], denominators, strict=True))
    return f"{measure.label if measure else key}: {before} → {after}"


def describe_changes(changes: dict) -> list[str]:
    order = {m.metric: i for i, m in enumerate(MEASURES)}
    return [describe_change(k, v) for k, v in sorted(changes.items(), key=lambda kv: order.get(kv[0], len(order)))]


@dataclass(frozen=True)
class Drift:
    """A closed stage's KPI whose stored result differs from the live counters (program level)."""

    stage: KpiStage
    measure: Measure
    stored: int
    live: int
    stored_denominator: int | None = None
    live_denominator: int | None = None

    @property
    def code(self) -> str:
        return self.measure.code

    @property
    def label(self) -> str:
        return str(self.measure.label)

    @property
    def stored_text(self) -> str:
        return shown_value(self.measure.kind, self.stored, self.stored_denominator)

    @property
    def live_text(self) -> str:
        return shown_value(self.measure.kind, self.live, self.live_denominator)

    @property
    def difference_text(self) -> str:
        difference = self.live - self.stored
        text = shown_value(COUNT if self.measure.kind == SHARE else self.measure.kind, abs(difference))
        return ("+" if difference > 0 else "−" if difference < 0 else "") + text

    @property
    def text(self) -> str:
        values = [self.stored, self.live]
        if self.stored_denominator is not None:
            values += [self.stored_denominator, self.live_denominator]
        return describe_change(self.measure.metric, values)


def _program_rows(model, stage_ids: list[int]) -> dict[int, dict[str, int]]:
    if not stage_ids:
        return {}
    rows = db.session.scalars(select(model).where(model.stage_id.in_(stage_ids), model.scope_kind == PROGRAM,
                                                  model.scope_key == ""))
    return {row.stage_id: {m: getattr(row, m) or 0 for m in COUNTER_METRICS} for row in rows}


def closed_stage_drift(stage: KpiStage | None = None) -> list[Drift]:
    """Every closed stage (or the one given) whose stored results differ from its live counters: per KPI, the
    stored and the live figure (shares with their denominators). Empty when every closed stage is up to date.
    Reads a few program-level rows per stage; `portal check` calls it."""
    every = all_stages()
    closed = [s for s in every if s.closed_at is not None and (stage is None or s.id == stage.id)]
    if not closed:
        return []
    # Read once for every stage: the levels run through all of them.
    ids = [s.id for s in every]
    stored, live = _program_rows(KpiStageResult, ids), _program_rows(KpiCounter, ids)
    zero = dict.fromkeys(COUNTER_METRICS, 0)
    shown = {s.id: (stored if s.closed_at is not None else live).get(s.id, zero) for s in every}
    before = registered_before(every[0].starts_on, PROGRAM, "")
    stored_levels = _levels(live=False, stages=every, figures=shown, before=before)
    live_levels = _levels(live=True, stages=every, figures=live, before=before)
    drift = []
    for s in closed:
        kept, now = stored.get(s.id, zero), live.get(s.id, zero)
        levels = (stored_levels[s.id], live_levels[s.id])
        for measure in MEASURES:
            if measure.kind == SHARE:
                if (kept[measure.metric], levels[0]) != (now[measure.metric], levels[1]):
                    drift.append(Drift(s, measure, kept[measure.metric], now[measure.metric], *levels))
            elif kept[measure.metric] != now[measure.metric]:
                drift.append(Drift(s, measure, kept[measure.metric], now[measure.metric]))
    return drift
