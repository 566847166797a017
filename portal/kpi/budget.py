"""The prize fund per stage against points issued, redeemed and expired, the outstanding liability at the
point value, and a forecast of the liability at the program's end.

The forecast takes the recent run rate: points issued in the last 30 days of the program's calendar (or in the
days since the program began, when it is younger), not the average since the first stage. The whole fund is
compared with what the points will cost: redeemed so far, outstanding now and the forecast of points still to
be issued and kept; a warning says when that passes the fund (and another when redeemed plus outstanding
already do)."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from portal.core.time import today
from portal.extensions import db
from portal.kpi import stages as stage_service
from portal.kpi import totals
from portal.kpi.models import PROGRAM
from portal.kpi.table import counters
from portal.ledger.models import ADJUSTMENT, EXPIRY, ISSUANCE, REDEMPTION, Account
from portal.program.services import get_settings


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
    redeemed_value: int = 0  # kopecks: every point redeemed so far, at the point value
    fund: int = 0  # kopecks: the whole prize fund, every stage's
    cost_now: int = 0  # redeemed so far plus the liability
    cost_forecast: int = 0  # redeemed so far plus the forecast liability at the end
    over_fund_now: bool = False
    over_fund: bool = False
    outside: BudgetRow | None = None  # points moved on days no stage covers (before the first, between stages)
    total: BudgetRow | None = None  # the whole program to date: the figures the warnings above the table use


RUN_RATE_DAYS = 30


def issued_between(first_day: date, last_day: date) -> int:
    """Points issued (net of reversals and adjustments) in the program's days `first_day` to `last_day`: the
    points issued per day kept from the ledger's postings (kpi/totals.py), a row per day."""
    return totals.issued_between(first_day, last_day)


def ledger_totals() -> tuple[int, int, int]:
    """(issued, redeemed, expired) over the program's whole life: the program's own account balances (four rows)."""
    balances = dict(db.session.execute(select(Account.kind, Account.balance).where(
        Account.kind.in_((ISSUANCE, ADJUSTMENT, REDEMPTION, EXPIRY)))).all())
    issued = -(balances.get(ISSUANCE, 0) + balances.get(ADJUSTMENT, 0))
    return issued, balances.get(REDEMPTION, 0), balances.get(EXPIRY, 0)


def budget_view(day: date | None = None) -> Budget:
    day = day or today()
    value = get_settings().point_value_kopecks
    result = Budget(point_value=value)
    all_stages = stage_service.all_stages()
    figures = counters(all_stages, PROGRAM, "")
    cumulative_budget = cumulative_redeemed = 0
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
            result.issued_total += row.issued
            result.redeemed_total += row.redeemed
            result.expired_total += row.expired
        result.rows.append(row)
    issued_all, redeemed_all, expired_all = ledger_totals()  # the program's whole life, read once
    result.outstanding = issued_all - redeemed_all - expired_all
    result.liability = result.outstanding * value
    remaining_days = sum(s.ends_on.toordinal() - max(day.toordinal() + 1, s.starts_on.toordinal()) + 1
                         for s in all_stages if s.ends_on > day)
    # The recent run rate: the last 30 days to today, or the days since the first stage began when fewer.
    rate, rate_from, rate_days = 0.0, None, 0
    if all_stages and all_stages[0].starts_on <= day:
        rate_from = max(all_stages[0].starts_on, day - timedelta(days=RUN_RATE_DAYS - 1))
        rate_days = (day - rate_from).days + 1
        rate = issued_between(rate_from, day) / rate_days
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
        "rate_from": rate_from, "rate_to": day if rate_from else None, "rate_days": rate_days,
    }
    result.fund = cumulative_budget
    result.total = BudgetRow(None, cumulative_budget, issued_all, redeemed_all, expired_all,
                             issued_value=issued_all * value, redeemed_value=redeemed_all * value)
    outside = BudgetRow(None, 0, issued_all - sum(r.issued for r in result.rows),
                        redeemed_all - sum(r.redeemed for r in result.rows),
                        expired_all - sum(r.expired for r in result.rows))
    outside.redeemed_value = outside.redeemed * value
    if outside.issued or outside.redeemed or outside.expired:
        result.outside = outside
    result.redeemed_value = redeemed_all * value
    result.cost_now = result.redeemed_value + result.liability
    result.cost_forecast = result.redeemed_value + result.forecast["value"]
    result.over_fund_now = bool(result.fund) and result.cost_now > result.fund
    result.over_fund = bool(result.fund) and result.cost_forecast > result.fund
    return result
