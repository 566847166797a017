"""Plan vs actual: what the KPI table, the dashboard, the exports and the report mails read.

Actuals come from the maintained counters (open stages) or the stored results (closed stages): a few rows
per stage and scope, never a scan of claims. A group's actuals are the sum of its companies' counters.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from portal.core.time import today
from portal.extensions import db
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

    @property
    def share(self) -> float | None:
        if self.denominator is None:
            return None
        return None if not self.denominator else self.actual * 100 / self.denominator

    @property
    def percent(self) -> float | None:
        if self.target is None or self.actual is None or not self.target:
            return None
        return self.actual * 100 / self.target

    @property
    def variance(self) -> int | None:
        return None if self.target is None or self.actual is None else self.actual - self.target

    @property
    def status(self) -> str:
        if self.actual is None or not self.target:
            return NONE
        goal = self.expected if self.running and self.expected is not None else self.target
        if not goal or self.actual >= goal:
            return OK
        return WARN if self.actual * 100 >= goal * WARN_FROM else BAD


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


def _sum_rows(rows) -> dict[str, int]:
    total = dict.fromkeys(COUNTER_METRICS, 0)
    for row in rows:
        for metric in COUNTER_METRICS:
            total[metric] += getattr(row, metric) or 0
    return total


def group_company_keys(group_id: int) -> list[str]:
    from portal.groups.services import current_company_ids

    return [str(c) for c in current_company_ids(group_id)]


def counters(stages: list[KpiStage], kind: str, key: str) -> dict[int, dict[str, int]]:
    """Counter values per stage for a scope: stored results for closed stages, live counters otherwise."""
    if kind == GROUP:
        scope_kind, keys = COMPANY, group_company_keys(int(key))
    else:
        scope_kind, keys = kind, [key]
    result: dict[int, dict[str, int]] = {s.id: dict.fromkeys(COUNTER_METRICS, 0) for s in stages}
    closed = [s.id for s in stages if s.closed_at is not None]
    live = [s.id for s in stages if s.closed_at is None]
    for model, ids in ((KpiStageResult, closed), (KpiCounter, live)):
        if not ids or not keys:
            continue
        columns = [func.sum(getattr(model, m)) for m in COUNTER_METRICS]
        for stage_id, *sums in db.session.execute(
                select(model.stage_id, *columns).where(model.stage_id.in_(ids), model.scope_kind == scope_kind,
                                                       model.scope_key.in_(keys)).group_by(model.stage_id)):
            result[stage_id] = {m: int(v or 0) for m, v in zip(COUNTER_METRICS, sums, strict=True)}
    return result


def active_companies(stages: list[KpiStage], kind: str, key: str) -> dict[int, int]:
    """Companies with a selling participant per stage (program, group or company scope)."""
    result = {s.id: 0 for s in stages}
    for model, ids in ((KpiStageResult, [s.id for s in stages if s.closed_at]),
                       (KpiCounter, [s.id for s in stages if not s.closed_at])):
        if not ids:
            continue
        query = select(model.stage_id, func.count()).where(model.stage_id.in_(ids), model.scope_kind == COMPANY,
                                                          model.active_people > 0)
        if kind == GROUP:
            query = query.where(model.scope_key.in_(group_company_keys(int(key))))
        elif kind == COMPANY:
            query = query.where(model.scope_key == key)
        elif kind != PROGRAM:
            return {}
        for stage_id, count in db.session.execute(query.group_by(model.stage_id)):
            result[stage_id] = int(count)
    return result


def registered_before(first_day: date | None, kind: str, key: str) -> int:
    """People registered before the first stage (the level KPIs start from them)."""
    from portal.auth.models import PARTNER_ROLES, User
    from portal.partners.models import PartnerCompany

    if first_day is None:
        return 0
    query = select(func.count(User.id)).where(User.role.in_(PARTNER_ROLES), User.created_at < first_day)
    if kind == COMPANY:
        query = query.where(User.company_id == int(key))
    elif kind == GROUP:
        query = query.where(User.company_id.in_([int(k) for k in group_company_keys(int(key))] or [0]))
    elif kind == AUDIENCE:
        query = query.where(User.audience == key)
    elif kind == REGION:
        query = query.join(PartnerCompany, PartnerCompany.id == User.company_id).where(PartnerCompany.region == key)
    return int(db.session.scalar(query) or 0)


def _elapsed(stage: KpiStage, day: date) -> float:
    return min(1.0, max(0.0, ((day - stage.starts_on).days + 1) / stage.days))


def scorecard(stages: list[KpiStage], kind: str = PROGRAM, key: str = "", day: date | None = None,
              kpis: list[Kpi] | None = None) -> Scorecard:
    day = day or today()
    values = counters(stages, kind, key)
    companies = active_companies(stages, kind, key)
    targets = {k: t.target for k, t in targets_for(kind, key).items()}
    level = registered_before(stages[0].starts_on if stages else None, kind, key)
    running_index = None
    for index, stage in enumerate(stages):
        level += values[stage.id]["registered"] + values[stage.id]["moved_in"] - values[stage.id]["moved_out"]
        values[stage.id]["registered_total"] = level
        values[stage.id]["active_companies"] = companies.get(stage.id, 0)
        if stage.starts_on <= day <= stage.ends_on:
            running_index = index
    started = [s for s in stages if s.starts_on <= day]
    rows = []
    for kpi in kpis or KPIS:
        if kpi.program_only and kind != PROGRAM:
            continue  # a company's table showed 0 points issued every month: points are counted program-wide
        row = Row(kpi)
        for stage in stages:
            cell = Cell(target=targets.get((kpi.code, stage.id)))
            if kpi.code == "active_companies" and kind not in (PROGRAM, GROUP, COMPANY):
                cell.future = True
            elif stage.starts_on <= day:
                cell.actual = values[stage.id][kpi.numerator]
                if kpi.kind == SHARE:
                    cell.denominator = values[stage.id][kpi.denominator]
                if kpi.code == "selling":
                    cell.actual = values[stage.id][kpi.numerator]
                cell.running = stage.ends_on >= day
                if cell.running and cell.target is not None and kpi.kind != LEVEL:
                    cell.expected = round(cell.target * _elapsed(stage, day))
            else:
                cell.future = True
            row.cells.append(cell)
        stage_targets = [c.target for c in row.cells if c.target is not None]
        explicit = targets.get((kpi.code, None))
        total = Cell(running=running_index is not None)
        if started and not (kpi.code == "active_companies" and kind not in (PROGRAM, GROUP, COMPANY)):
            picked = [values[s.id] for s in started]
            if kpi.kind == COUNT:
                total.actual = sum(v[kpi.numerator] for v in picked)
            elif kpi.kind == SHARE:
                total.actual = sum(v[kpi.numerator] for v in picked)
                total.denominator = picked[-1][kpi.denominator]
            else:
                total.actual = picked[-1][kpi.numerator]
        if kpi.kind == SHARE:
            row.total_share_target = explicit
            total.target = sum(stage_targets) if stage_targets else None
        elif kpi.kind == COUNT:
            total.target = explicit if explicit is not None else (sum(stage_targets) if stage_targets else None)
        else:
            total.target = explicit if explicit is not None else (stage_targets[-1] if stage_targets else None)
        # Pace over the program: the targets of finished stages plus the running stage's share of its own.
        if kpi.kind != LEVEL and stage_targets:
            expected = 0.0
            for stage, cell in zip(stages, row.cells, strict=True):
                if cell.target is not None and stage.starts_on <= day:
                    expected += cell.target * _elapsed(stage, day)
            total.expected = round(expected)
        row.total = total
        rows.append(row)
    return Scorecard(kind, key, stages, rows, running_index, values)


def stage_columns(card: Scorecard) -> list[KpiStage]:
    return card.stages


def breakdown(stage_ids: list[int], kind: str, keys: list[str] | None = None) -> dict[str, dict[str, int]]:
    """Counters of many scopes of one kind summed over stages (for drill-down lists and top companies)."""
    result: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTER_METRICS, 0))
    stages = list(db.session.scalars(select(KpiStage).where(KpiStage.id.in_(stage_ids))))
    for model, ids in ((KpiStageResult, [s.id for s in stages if s.closed_at]),
                       (KpiCounter, [s.id for s in stages if not s.closed_at])):
        if not ids:
            continue
        columns = [func.sum(getattr(model, m)) for m in COUNTER_METRICS]
        query = select(model.scope_key, *columns).where(model.stage_id.in_(ids), model.scope_kind == kind)
        if keys is not None:
            query = query.where(model.scope_key.in_(keys))
        for scope_key, *sums in db.session.execute(query.group_by(model.scope_key)):
            for metric, value in zip(COUNTER_METRICS, sums, strict=True):
                result[scope_key][metric] += int(value or 0)
    return result
