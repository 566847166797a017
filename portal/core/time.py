"""One clock for the whole portal, so rules that depend on time can be tested with a frozen one."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime

_frozen: ContextVar[datetime | None] = ContextVar("frozen_time", default=None)


def utcnow() -> datetime:
    """Naive UTC: stored the same way in SQLite and PostgreSQL."""
    return _frozen.get() or datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def frozen_time(moment: datetime):
    """Make utcnow() answer `moment` in this thread: for tests, and for the demo's history."""
    token = _frozen.set(moment)
    try:
        yield
    finally:
        _frozen.reset(token)


def today() -> date:
    return utcnow().date()


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later, or the month's last day when that day does not exist (31 Jan + 1 = 28/29 Feb)."""
    import calendar

    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)
