"""One clock for the whole portal, so rules that depend on time can be tested with a frozen one."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from portal.config import Config

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


def program_zone() -> ZoneInfo:
    """The program's time zone (BABEL_DEFAULT_TIMEZONE, Moscow by default): its calendar is the one people see."""
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") if has_app_context() else Config.BABEL_DEFAULT_TIMEZONE
    return ZoneInfo(name or "UTC")


def local_date(moment: datetime, zone: ZoneInfo | None = None) -> date:
    """The program's calendar day of a stored (naive UTC) moment; a loop over many rows passes the zone it read
    once."""
    return moment.replace(tzinfo=UTC).astimezone(zone or program_zone()).date()


def local_day_start(day: date) -> datetime:
    """The stored (naive UTC) moment the program's calendar day `day` begins: for filters by day."""
    return datetime.combine(day, time.min, program_zone()).astimezone(UTC).replace(tzinfo=None)


def in_local_year(column, year: int):
    """A condition: the stored moment `column` falls in the program's calendar year `year` (a prize received at
    01:00 on 1 January in Moscow belongs to the new tax year). A range, so an index on the column serves it."""
    return (column >= local_day_start(date(year, 1, 1))) & (column < local_day_start(date(year + 1, 1, 1)))


def today() -> date:
    """Today in the program's time zone: a seller in Moscow at 00:30 is on the new day (invoices dated today are
    accepted, the new month's plan is current) while UTC is still on the old one."""
    return local_date(utcnow())


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later, or the month's last day when that day does not exist (31 Jan + 1 = 28/29 Feb)."""
    import calendar

    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)
