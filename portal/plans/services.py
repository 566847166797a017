"""Personal sales plans: reading targets. (Pages, imports and defaults grow here.)"""

from datetime import date

from sqlalchemy import select

from portal.extensions import db
from portal.plans.models import SalesPlan


def plan_targets(user_ids: list[int] | None, metric: str, start: date, end: date) -> dict[int, int]:
    """Sum of each person's plan targets for `metric` over the plans whose period lies within [start, end].

    Contests on "% of personal plan" divide the person's actual by this. People without a plan are absent.
    """
    query = select(SalesPlan.user_id, SalesPlan.target).where(
        SalesPlan.metric == metric, SalesPlan.period_start >= start, SalesPlan.period_end <= end)
    if user_ids is not None:
        query = query.where(SalesPlan.user_id.in_(user_ids))
    totals: dict[int, int] = {}
    for user_id, target in db.session.execute(query):
        totals[user_id] = totals.get(user_id, 0) + target
    return totals
