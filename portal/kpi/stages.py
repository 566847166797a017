"""Stages: the program's months by default, or custom dates; closing a stage stores its actuals, and a closed
stage changes only by an explicit recalculation with a reason, logged."""

import calendar
from datetime import date

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from portal.core.errors import DomainError
from portal.core.params import clean_text
from portal.core.time import local_date, today, utcnow
from portal.extensions import db
from portal.kpi import aggregates
from portal.kpi.models import COUNTER_METRICS, PROGRAM, KpiCounter, KpiStage, KpiStageLog, KpiStageResult

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


def recalculate_stage(stage: KpiStage, reason: str, actor) -> dict:
    """Rebuild a closed stage's actuals from the source tables and store them again, logging the reason and
    what changed at the program level."""
    reason = clean_text(reason).strip()
    if stage.closed_at is None:
        raise DomainError(_l("Only a closed stage is recalculated: an open one follows the events by itself."))
    if not reason:
        raise DomainError(_l("Give the reason for the recalculation."), field="reason")
    before = _program_figures(KpiStageResult, stage.id)
    aggregates.recompute([stage.id])
    _store_results(stage)
    after = _program_figures(KpiStageResult, stage.id)
    changes = {m: [before[m], after[m]] for m in COUNTER_METRICS if before[m] != after[m]}
    db.session.add(KpiStageLog(stage_id=stage.id, action="recalculated", reason=reason[:500], changes=changes,
                               actor_id=actor.id))
    db.session.flush()
    return changes


def stage_log(limit: int = 50) -> list[KpiStageLog]:
    return list(db.session.scalars(select(KpiStageLog).order_by(KpiStageLog.at.desc(), KpiStageLog.id.desc())
                                   .limit(limit)))
