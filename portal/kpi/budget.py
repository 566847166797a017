"""The prize fund per stage against points issued, redeemed and expired, the outstanding liability at the
point value, and a forecast of the liability at the program's end."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from portal.core.time import today
from portal.extensions import db
from portal.kpi import stages as stage_service
from portal.kpi.models import PROGRAM
from portal.kpi.table import counters


@dataclass
class BudgetRow:
    stage: object
    budget: int  # kopecks
    issued: int  # points
    redeemed: int
    expired: int
    issued_value: int = 0  # kopecks
    redeemed_value: int = 0
    cumulative_budget: int = 0
    cumulative_redeemed_value: int = 0
    over_share: bool = False  # issuance ran past the stage's share of the fund
    running: bool = False


@dataclass
class Budget:
    point_value: int
    rows: list[BudgetRow] = field(default_factory=list)
    issued_total: int = 0
    redeemed_total: int = 0
    expired_total: int = 0
    outstanding: int = 0  # points
    liability: int = 0  # kopecks
    forecast: dict = field(default_factory=dict)


def outstanding_points() -> int:
    """Points earned and not yet spent or expired: from the program's own account balances (four rows)."""
    from portal.ledger.models import ADJUSTMENT, EXPIRY, ISSUANCE, REDEMPTION, Account

    balances = dict(db.session.execute(select(Account.kind, Account.balance).where(
        Account.kind.in_((ISSUANCE, ADJUSTMENT, REDEMPTION, EXPIRY)))).all())
    issued = -(balances.get(ISSUANCE, 0) + balances.get(ADJUSTMENT, 0))
    return issued - balances.get(REDEMPTION, 0) - balances.get(EXPIRY, 0)


def budget_view(day: date | None = None) -> Budget:
    from portal.program.services import get_settings

    day = day or today()
    value = get_settings().point_value_kopecks
    result = Budget(point_value=value)
    all_stages = stage_service.all_stages()
    figures = counters(all_stages, PROGRAM, "")
    cumulative_budget = cumulative_redeemed = 0
    elapsed_days = 0
    for stage in all_stages:
        f = figures[stage.id]
        row = BudgetRow(stage, stage.budget_kopecks, f["points_issued"], f["points_redeemed"], f["points_expired"])
        row.issued_value, row.redeemed_value = row.issued * value, row.redeemed * value
        cumulative_budget += stage.budget_kopecks
        cumulative_redeemed += row.redeemed_value
        row.cumulative_budget, row.cumulative_redeemed_value = cumulative_budget, cumulative_redeemed
        row.running = stage.starts_on <= day <= stage.ends_on
        share = stage.budget_kopecks
        if row.running:
            share = stage.budget_kopecks * ((day - stage.starts_on).days + 1) // stage.days
        row.over_share = stage.starts_on <= day and row.issued_value > share
        if stage.starts_on <= day:
            elapsed_days += min(day, stage.ends_on).toordinal() - stage.starts_on.toordinal() + 1
            result.issued_total += row.issued
            result.redeemed_total += row.redeemed
            result.expired_total += row.expired
        result.rows.append(row)
    result.outstanding = outstanding_points()
    result.liability = result.outstanding * value
    remaining_days = sum(s.ends_on.toordinal() - max(day.toordinal() + 1, s.starts_on.toordinal()) + 1
                         for s in all_stages if s.ends_on > day)
    rate = result.issued_total / elapsed_days if elapsed_days else 0.0
    issued = result.issued_total
    redemption_share = result.redeemed_total / issued if issued else 0.0
    expiry_share = result.expired_total / issued if issued else 0.0
    future_issued = round(rate * remaining_days)
    keep = max(0.0, 1 - redemption_share - expiry_share)
    forecast_points = result.outstanding + round(future_issued * keep)
    result.forecast = {
        "rate": round(rate, 1), "remaining_days": remaining_days, "future_issued": future_issued,
        "redemption_share": round(redemption_share * 100, 1), "expiry_share": round(expiry_share * 100, 1),
        "points": forecast_points, "value": forecast_points * value,
        "end": all_stages[-1].ends_on if all_stages else None,
        "budget_total": cumulative_budget,
    }
    return result
