"""The plans blueprint, shared by the pages of views.py and company_views.py, and the period a page is about."""

from flask import Blueprint, request

from portal.core.time import today
from portal.plans.models import MONTH
from portal.plans.periods import Period, nearby_periods, parse_period, period_of

bp = Blueprint("plans", __name__, template_folder="templates", cli_group="plans")


def requested_period() -> Period:
    """The period named by ?period=, else the running month."""
    return parse_period(request.args.get("period")) or period_of(MONTH, today())


def periods_with(period: Period) -> list[Period]:
    """The periods a picker offers: those around today, and the chosen one when it is further away."""
    periods = nearby_periods(today())
    return periods if period in periods else [period, *periods]
