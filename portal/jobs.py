"""Scheduled jobs, run by `flask --app wsgi portal run-jobs` (from cron). Each is safe to run at any moment."""

from collections.abc import Callable
from datetime import datetime

from portal.core.time import utcnow


def _expire_points(now: datetime) -> str:
    from portal.ledger.services import expire_due_points

    return f"{expire_due_points(now)} lots expired"


# (name, job): later features add theirs. A job commits its own work, unit by unit.
def _birthday_bonuses(now: datetime) -> str:
    from portal.claims.services import birthday_bonuses

    return f"{birthday_bonuses(now)} birthday bonuses"


def _expire_unpaid_orders(now: datetime) -> str:
    from portal.shop.services import expire_unpaid_orders

    return f"{expire_unpaid_orders(now)} unpaid orders cancelled"


def _contests_clock(now: datetime) -> str:
    from portal.contests.jobs import run_clock

    return run_clock(now)


JOBS: list[tuple[str, Callable[[datetime], str]]] = [
    ("expire-points", _expire_points),
    ("expire-unpaid-orders", _expire_unpaid_orders),
    ("birthday-bonuses", _birthday_bonuses),
    ("contests", _contests_clock),
]


def run_due_jobs(now: datetime | None = None) -> list[tuple[str, str]]:
    now = now or utcnow()
    return [(name, job(now)) for name, job in JOBS]
