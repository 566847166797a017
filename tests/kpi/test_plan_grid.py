"""The KPI plan grid as a service: the stored targets as typed, a save that checks every cell and writes
nothing while any is wrong, and the typed text kept for the page to show again."""

import pytest
from sqlalchemy import func, select

from portal.auth.models import MANAGER
from portal.extensions import db
from portal.kpi import grid, stages
from portal.kpi.models import PROGRAM, KpiTarget


@pytest.fixture
def months(ctx):
    return [stage.id for stage in stages.add_months(2026, 4, 6)]


def test_a_wrong_cell_saves_nothing_and_keeps_what_was_typed(months, make):
    april, may, _june = months
    manager = make.user(role=MANAGER)
    typed = {f"t-registered-{april}": "сто", f"t-registered-{may}": "150", "t-active-total": "120"}
    with pytest.raises(grid.PlanNotSaved) as refused:
        grid.save_plan_grid(PROGRAM, "", typed, manager)
    shown = refused.value.grid
    assert shown.cells[("registered", april)] == "сто" and shown.cells[("registered", may)] == "150"
    assert set(shown.errors) == {("registered", april), ("active", None)}
    assert str(refused.value) == "План не сохранён: исправьте выделенные ячейки."
    assert db.session.scalar(select(func.count(KpiTarget.id))) == 0


def test_a_saved_grid_shows_its_targets_as_typed(months, make):
    april, _may, _june = months
    manager = make.user(role=MANAGER)
    typed = {f"t-registered-{april}": "150", "t-active-total": "60", f"t-sales_amount-{april}": "1250.5"}
    assert grid.save_plan_grid(PROGRAM, "", typed, manager) == 3
    shown = grid.plan_grid(PROGRAM, "")
    assert [stage.id for stage in shown.stages] == months
    assert shown.cells[("registered", april)] == "150"
    assert shown.cells[("active", None)] == "60"  # a share's total is a percentage
    assert shown.cells[("sales_amount", april)] == "1250.5"  # money in roubles
    assert shown.cells[("registered", None)] == "" and not shown.errors
    # Saving the same grid again changes nothing; an emptied cell clears its target.
    assert grid.save_plan_grid(PROGRAM, "", typed, manager) == 0
    assert grid.save_plan_grid(PROGRAM, "", {**typed, "t-active-total": ""}, manager) == 1
