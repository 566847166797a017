"""The KPI plan grid: every KPI by every stage (and the program total) for one scope, as typed cells.

The page shows the stored targets as people type them (roubles for money, a percentage for a share's total);
saving checks every cell and the rules across cells, and writes nothing unless all of them are right.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from portal.core.errors import DomainError
from portal.kpi import plan, stages
from portal.kpi.kpis import KPIS, SHARE

Cell = tuple[str, int | None]  # (KPI code, stage id or None for the program total)


@dataclass
class PlanGrid:
    stages: list
    cells: dict[Cell, str] = field(default_factory=dict)  # what each input shows
    errors: dict[Cell, str] = field(default_factory=dict)  # what is wrong with a cell, by cell


class PlanNotSaved(DomainError):
    """Some cells are wrong: `grid` holds what was typed and a message per wrong cell."""

    def __init__(self, grid: PlanGrid):
        super().__init__(_l("The plan was not saved: correct the highlighted cells."))
        self.grid = grid


def cell_name(code: str, stage_id) -> str:
    """The form field of one cell."""
    return f"t-{code}-{stage_id if stage_id is not None else 'total'}"


def shown_cell(code: str, target: int | None, total: bool) -> str:
    """A stored target as typed: roubles for money, a percentage for a share's program total."""
    if target is None:
        return ""
    kpi = plan.BY_CODE[code]
    if kpi.money or (kpi.kind == SHARE and total):
        text = f"{Decimal(target) / 100:f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(target)


def _cells(all_stages) -> list[Cell]:
    return [(kpi.code, stage_id) for kpi in KPIS for stage_id in [*(s.id for s in all_stages), None]]


def plan_grid(kind: str, key: str) -> PlanGrid:
    """The grid of `kind`/`key` with its stored targets."""
    grid = PlanGrid(stages=stages.all_stages())
    existing = plan.targets_for(kind, key)
    for code, stage_id in _cells(grid.stages):
        row = existing.get((code, stage_id))
        grid.cells[(code, stage_id)] = shown_cell(code, row.target if row else None, stage_id is None)
    return grid


def save_plan_grid(kind: str, key: str, typed: Mapping[str, str], actor) -> int:
    """Save the grid as typed (`typed`: field name -> text, a missing field is an empty cell). Returns how many
    targets changed; raises PlanNotSaved, with the typed cells and a message per wrong cell, and writes nothing
    when any cell is wrong. Flushes."""
    grid = PlanGrid(stages=stages.all_stages())
    values = {}
    for code, stage_id in _cells(grid.stages):
        raw = (typed.get(cell_name(code, stage_id)) or "")[:40]
        grid.cells[(code, stage_id)] = raw
        try:
            values[(code, stage_id)] = plan.parse_target(code, raw, total=stage_id is None)
        except DomainError as error:
            grid.errors[(code, stage_id)] = str(error)
    grid.errors.update({cell: text for cell, text in plan.check_plan(values).items() if cell not in grid.errors})
    if grid.errors:
        raise PlanNotSaved(grid)
    return plan.set_targets(kind, key, values, actor)
