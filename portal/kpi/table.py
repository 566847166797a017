"""Plan vs actual: what the KPI table, the dashboard, the exports and the report mails read.

Actuals come from the maintained counters (open stages) or the stored results (closed stages): a few rows
per stage and scope, never a scan of claims. A group has counters of its own (an event counts for the groups
its company belonged to on the event's day); its "registered in total" is the sum of the levels of the companies
it held at each stage's end.

Totals compare like with like: a share with the share planned, a stage's actual with that stage's plan, and
without a plan for the whole program the actuals of the stages that have a plan with the sum of their plans.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, union_all

from portal.auth.models import PARTNER_ROLES, User
from portal.core.formatting import number, rub
from portal.core.time import local_day_start, today
from portal.extensions import db
from portal.groups.services import current_company_ids
from portal.kpi.kpis import COUNT, KPIS, LEVEL, SHARE, Kpi
from portal.kpi.models import (
    AUDIENCE,
    COMPANY,
    COUNTER_METRICS,
    GROUP,
    PROGRAM,
    REGION,
    KpiCounter,
    KpiStage,
    KpiStageResult,
)
from portal.kpi.plan import targets_for
from portal.partners import history
from portal.partners.models import CompanyMembership, PartnerCompany

OK, WARN, BAD, NONE = "ok", "warn", "bad", "none"
WARN_FROM = 80  # % of plan (or of pace) from which a cell is amber rather than red


@dataclass
class Cell:
    target: int | None = None
    actual: int | None = None  # the numerator for shares
    denominator: int | None = None
    expected: int | None = None  # pace: where the running stage should be by today
    running: bool = False
    future: bool = False
    # The actual set against the target when it is not `actual` (a total: the stages that have a plan).
    compared: int | None = None
    # A share's planned percentage in hundredths: the cell compares its share with it, not people with people.
    share_target: int | None = None
    comparable: bool = True
    basis: str = ""  # how the cell compares, in the reader's language (a total's footnote)

    @property
    def measured(self) -> int | None:
        return self.compared if self.compared is not None else self.actual

    @property
    def share(self) -> float | None:
        if self.denominator is None:
            return None
        return None if not self.denominator else self.actual * 100 / self.denominator

    @property
    def percent(self) -> float | None:
        if not self.comparable:
            return None
        if self.share_target is not None:
            return None if self.share is None or not self.share_target else self.share * 10000 / self.share_target
        if self.target is None or self.measured is None or not self.target:
            return None
        return self.measured * 100 / self.target

    @property
    def variance(self) -> int | None:
        if not self.comparable or self.share_target is not None:
            return None
        return None if self.target is None or self.measured is None else self.measured - self.target

    @property
    def status(self) -> str:
        if not self.comparable:
            return NONE
        if self.share_target is not None:
            if self.share is None or not self.share_target:
                return NONE
            if self.share * 100 >= self.share_target:
                return OK
            return WARN if self.share * 100 * 100 >= self.share_target * WARN_FROM else BAD
        if self.measured is None or not self.target:
            return NONE
        goal = self.expected if self.running and self.expected is not None else self.target
        if not goal or self.measured >= goal:
            return OK
        return WARN if self.measured * 100 >= goal * WARN_FROM else BAD


@dataclass
class Row:
    kpi: Kpi
    cells: list[Cell] = field(default_factory=list)
    total: Cell = field(default_factory=Cell)
    total_share_target: int | None = None  # hundredths of a percent, share KPIs


@dataclass
class Scorecard:
    scope_kind: str
    scope_key: str
    stages: list[KpiStage]
    rows: list[Row]
    running_index: int | None
    values: dict = field(default_factory=dict)  # stage id -> counter values (plus the levels)
    targets: dict = field(default_factory=dict)  # (KPI code, stage id or None for the total) -> the scope's target


def _sum_rows(rows) -> dict[str, int]:
    total = dict.fromkeys(COUNTER_METRICS, 0)
    for row in rows:
        for metric in COUNTER_METRICS:
            total[metric] += getattr(row, metric) or 0
    return total


def group_company_keys(group_id: int) -> list[str]:
    """The group's companies today (drill-down lists); the group's actuals are its own counters."""
    return [str(c) for c in current_company_ids(group_id)]


def counters(stages: list[KpiStage], kind: str, key: str) -> dict[int, dict[str, int]]:
    """Counter values per stage for a scope: stored results for closed stages, live counters otherwise."""
    result: dict[int, dict[str, int]] = {s.id: dict.fromkeys(COUNTER_METRICS, 0) for s in stages}
    for stage_id, _scope_key, values in _counter_rows(stages, kind, [key]):
        result[stage_id] = values
    return result


def _counter_rows(stages: list[KpiStage], kind: str, keys: list[str]):
    """(stage id, scope key, counter values) of the scopes' rows in the stages."""
    parts = [select(model.stage_id, model.scope_key, *(getattr(model, m) for m in COUNTER_METRICS))
             .where(model.stage_id.in_(ids), model.scope_kind == kind, model.scope_key.in_(keys))
             for model, ids in _by_model(stages) if keys]
    if not parts:
        return
    for stage_id, scope_key, *values in db.session.execute(parts[0] if len(parts) == 1 else union_all(*parts)):
        yield stage_id, scope_key, {m: int(v or 0) for m, v in zip(COUNTER_METRICS, values, strict=True)}


def _by_model(stages: list[KpiStage]) -> list[tuple[type, list[int]]]:
    """Where each stage's figures are read: closed stages from their stored results, the others from the live
    counters (only the models that have stages; the reads of both are sent as one statement)."""
    closed = [s.id for s in stages if s.closed_at is not None]
    live = [s.id for s in stages if s.closed_at is None]
    return [(model, ids) for model, ids in ((KpiStageResult, closed), (KpiCounter, live)) if ids]


def _group_companies(stages: list[KpiStage], group_id: int) -> dict[int, list[int]]:
    """The companies a group held at the end of each stage (partners/history.py)."""
    return {s.id: history.group_company_ids_on(group_id, s.ends_on) for s in stages}


def active_companies(stages: list[KpiStage], kind: str, key: str) -> dict[int, int]:
    """Companies with a selling participant per stage (program, group or company scope); a group counts the
    companies it held at the stage's end."""
    result = {s.id: 0 for s in stages}
    if kind not in (PROGRAM, GROUP, COMPANY):
        return {}
    members = _group_companies(stages, int(key)) if kind == GROUP else {}
    parts = []
    for model, ids in _by_model(stages):
        selling = [model.stage_id.in_(ids), model.scope_kind == COMPANY, model.active_people > 0]
        if kind == PROGRAM:  # the program needs how many, not which: counted in the database
            parts.append(select(model.stage_id, func.count()).where(*selling).group_by(model.stage_id))
            continue
        if kind == COMPANY:
            selling.append(model.scope_key == key)
        else:
            selling.append(model.scope_key.in_(sorted({str(c) for stage_id in ids for c in members[stage_id]})))
        parts.append(select(model.stage_id, model.scope_key).where(*selling))
    if not parts:
        return result
    for stage_id, scope_key in db.session.execute(parts[0] if len(parts) == 1 else union_all(*parts)):
        if kind == PROGRAM:
            result[stage_id] += int(scope_key)
        elif kind != GROUP or int(scope_key) in members[stage_id]:
            result[stage_id] += 1
    return result


def registered_before(first_day: date | None, kind: str, key: str) -> int:
    """People registered before the first stage, where they belonged when it began (the levels start from
    them): the first stage begins at midnight of the program's calendar, and a person counts for the company
    of their membership at that moment (partners/history.py), not for today's. Program, company, region or
    audience; a group's level is group_levels()."""
    counts = _registered_before_by(first_day, kind, [key])
    return counts.get(key, 0)


def _registered_before_by(first_day: date | None, kind: str, keys: list[str]) -> dict[str, int]:
    if first_day is None or not keys:
        return {}
    start = local_day_start(first_day)
    eve = start - timedelta(microseconds=1)  # the last moment before the program
    query = select(User.id, User.company_id).where(User.role.in_(PARTNER_ROLES), User.created_at < start)
    if kind == PROGRAM:
        return {"": int(db.session.scalar(select(func.count()).select_from(query.subquery())) or 0)}
    result: dict[str, int] = defaultdict(int)
    if kind == AUDIENCE:
        for audience in history.audiences_on(query.with_only_columns(User.id), eve).values():
            if audience in keys:
                result[audience] += 1
        return result
    if kind == REGION:
        companies = dict(db.session.execute(select(PartnerCompany.id, PartnerCompany.region)
                                            .where(PartnerCompany.region.in_(keys))).all())
    else:
        companies = {int(k): k for k in keys}
    # Candidates: people who ever belonged to one of the companies; then where each was on the eve.
    ever = select(CompanyMembership.user_id).where(CompanyMembership.company_id.in_(list(companies) or [0]))
    has_history = select(CompanyMembership.user_id).where(CompanyMembership.user_id == User.id).exists()
    candidates = query.where(or_(User.id.in_(ever), User.company_id.in_(list(companies) or [0])))
    rows = db.session.execute(candidates.add_columns(has_history)).all()
    on_eve = history.companies_on([user_id for user_id, _company_id, with_history in rows if with_history], eve)
    for user_id, company_id, with_history in rows:
        where = on_eve.get(user_id) if with_history else company_id
        if where in companies:
            result[companies[where]] += 1
    return result


def _levels(stages: list[KpiStage], values: dict[int, dict[str, int]], before: int) -> list[int]:
    level, result = before, []
    for stage in stages:
        level += values[stage.id]["registered"] + values[stage.id]["moved_in"] - values[stage.id]["moved_out"]
        result.append(level)
    return result


def group_levels(stages: list[KpiStage], group_id: int) -> dict[int, int]:
    """A group's "registered in total" per stage: the levels of the companies it held at the stage's end."""
    members = _group_companies(stages, group_id)
    keys = sorted({str(c) for ids in members.values() for c in ids})
    values: dict[str, dict[int, dict[str, int]]] = {
        k: {s.id: dict.fromkeys(COUNTER_METRICS, 0) for s in stages} for k in keys}
    for stage_id, scope_key, row in _counter_rows(stages, COMPANY, keys):
        values[scope_key][stage_id] = row
    before = _registered_before_by(stages[0].starts_on if stages else None, COMPANY, keys)
    levels = {k: _levels(stages, values[k], before.get(k, 0)) for k in keys}
    return {stage.id: sum(levels[str(c)][index] for c in members[stage.id])
            for index, stage in enumerate(stages)}


def _elapsed(stage: KpiStage, day: date) -> float:
    return min(1.0, max(0.0, ((day - stage.starts_on).days + 1) / stage.days))


def scorecard(stages: list[KpiStage], kind: str = PROGRAM, key: str = "", day: date | None = None,
              kpis: list[Kpi] | None = None) -> Scorecard:
    day = day or today()
    values = counters(stages, kind, key)
    companies = active_companies(stages, kind, key)
    targets = {k: t.target for k, t in targets_for(kind, key).items()}
    if kind == GROUP:
        levels = group_levels(stages, int(key))
    else:
        before = registered_before(stages[0].starts_on if stages else None, kind, key)
        levels = dict(zip([s.id for s in stages], _levels(stages, values, before), strict=True))
    running_index = None
    for index, stage in enumerate(stages):
        values[stage.id]["registered_total"] = levels[stage.id]
        values[stage.id]["active_companies"] = companies.get(stage.id, 0)
        if stage.starts_on <= day <= stage.ends_on:
            running_index = index
    rows = []
    for kpi in kpis or KPIS:
        if kpi.program_only and kind != PROGRAM:
            continue  # a company's table showed 0 points issued every month: points are counted program-wide
        row = Row(kpi)
        counted = not (kpi.code == "active_companies" and kind not in (PROGRAM, GROUP, COMPANY))
        for stage in stages:
            cell = Cell(target=targets.get((kpi.code, stage.id)))
            if not counted:
                cell.future = True
            elif stage.starts_on <= day:
                cell.actual = values[stage.id][kpi.numerator]
                if kpi.kind == SHARE:
                    cell.denominator = values[stage.id][kpi.denominator]
                    if cell.target is not None:
                        cell.basis = _l("People in the stage against the stage's plan in people.")
                cell.running = stage.ends_on >= day
                if cell.running and cell.target is not None and kpi.kind != LEVEL:
                    cell.expected = round(cell.target * _elapsed(stage, day))
            else:
                cell.future = True
            row.cells.append(cell)
        explicit = targets.get((kpi.code, None))
        if kpi.kind == SHARE:
            row.total_share_target = explicit
        row.total = _total(kpi, stages, row.cells, values, day, explicit, running_index is not None, counted)
        rows.append(row)
    return Scorecard(kind, key, stages, rows, running_index, values, targets)


def _shown(kpi: Kpi, value: int) -> str:
    return rub(value) if kpi.money else number(value)


def _total(kpi: Kpi, stages: list[KpiStage], cells: list[Cell], values: dict, day: date, explicit: int | None,
           running: bool, counted: bool) -> Cell:
    """The program total of a row, and what it is compared with (its `basis`, said in the footnote):

    - a share with a planned percentage: the share of everyone registered so far against that percentage;
    - a plan for the whole program: every stage so far (a level: today's) against it, with the pace;
    - otherwise the stages that have a plan: their actuals (a level: the latest started one's) against the sum of
      their plans (a level: its plan), never months without a plan against the plan of one month."""
    total = Cell(running=running)
    started = [s for s in stages if s.starts_on <= day]
    if started and counted:
        picked = [values[s.id] for s in started]
        if kpi.kind == COUNT:
            total.actual = sum(v[kpi.numerator] for v in picked)
        elif kpi.kind == SHARE:
            # People over several stages are counted once (first time in the scope), not once per stage.
            total.actual = sum(v[kpi.total_numerator or kpi.numerator] for v in picked)
            total.denominator = picked[-1][kpi.denominator]
        else:
            total.actual = picked[-1][kpi.numerator]
    planned = [(stage, cell) for stage, cell in zip(stages, cells, strict=True) if cell.target is not None]
    if kpi.kind == SHARE and explicit is not None:
        total.share_target = explicit
        total.basis = _l("The share of everyone registered so far against the planned share of %(target)s%%.",
                         target=number(Decimal(explicit) / 100))
        return total
    if explicit is not None:
        total.target = explicit
        if kpi.kind == LEVEL:
            total.basis = _l("The level today against the plan for the end of the program.")
        else:
            days = sum(s.days for s in stages)
            elapsed = sum(s.days * _elapsed(s, day) for s in started)
            total.expected = round(explicit * elapsed / days) if days else None
            total.basis = _l("All stages so far against the plan for the whole program.")
        return total
    if not planned:
        return total
    planned_started = [(stage, cell) for stage, cell in planned if stage.starts_on <= day]
    if kpi.kind == LEVEL:
        stage, cell = (planned_started or planned)[-1]
        total.target = cell.target
        if not planned_started or not counted:
            total.comparable = False
            total.basis = _l("No stage with a plan has started yet.")
            return total
        total.compared = values[stage.id][kpi.numerator]
        total.basis = _l("The level of %(stage)s (%(actual)s) against its plan.", stage=stage.name,
                         actual=_shown(kpi, total.compared))
        return total
    total.target = sum(cell.target for _stage, cell in planned)
    if not planned_started or not counted:
        total.comparable = False
        total.basis = _l("No stage with a plan has started yet.")
        return total
    total.compared = sum(values[stage.id][kpi.numerator] for stage, _cell in planned)
    total.expected = round(sum(cell.target * _elapsed(stage, day) for stage, cell in planned_started))
    if len(planned) == len(stages):
        total.basis = _l("The stages' actuals added up against the sum of their plans.")
    else:
        total.basis = _l("Only the stages with a plan (%(stages)s): %(actual)s against the sum of their plans.",
                         stages=", ".join(stage.name for stage, _cell in planned),
                         actual=_shown(kpi, total.compared))
    return total
