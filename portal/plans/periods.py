"""Plan periods: calendar months and quarters, named by a short key ("2026-11", "2026-Q4")."""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from portal.plans.models import MONTH, QUARTER

_KEY = re.compile(r"^(\d{4})-(?:(\d{2})|Q([1-4]))$")


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date

    @property
    def key(self) -> str:
        if self.kind == MONTH:
            return f"{self.start.year}-{self.start.month:02d}"
        return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"

    @property
    def label(self) -> str:
        if self.kind == MONTH:
            return format_date(self.start, "LLLL y").capitalize()
        return str(_l("Q%(q)s %(year)s", q=(self.start.month - 1) // 3 + 1, year=self.start.year))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def months(self) -> list[date]:
        """The first days of the months the period covers."""
        result, day = [], self.start
        while day <= self.end:
            result.append(day)
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        return result

    def previous(self) -> "Period":
        return period_of(self.kind, self.start - timedelta(days=1))

    def next(self) -> "Period":
        return period_of(self.kind, self.end + timedelta(days=1))

    def __str__(self) -> str:
        return self.label


def month_start(day: date) -> date:
    return day.replace(day=1)


def period_of(kind: str, day: date) -> Period:
    """The month or quarter containing `day`."""
    if kind == QUARTER:
        first_month = (day.month - 1) // 3 * 3 + 1
        start = date(day.year, first_month, 1)
        last_month = first_month + 2
    else:
        start = date(day.year, day.month, 1)
        last_month = day.month
    end = date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
    return Period(kind, start, end)


def parse_period(key: str | None) -> Period | None:
    """A period from its key, or None for anything else (years 2000-2100 only)."""
    match = _KEY.match((key or "")[:10])
    if not match:
        return None
    year = int(match.group(1))
    if not 2000 <= year <= 2100:
        return None
    if match.group(2):
        month = int(match.group(2))
        return period_of(MONTH, date(year, month, 1)) if 1 <= month <= 12 else None
    return period_of(QUARTER, date(year, (int(match.group(3)) - 1) * 3 + 1, 1))


def nearby_periods(today: date) -> list[Period]:
    """The periods a manager usually plans: last three months to three ahead, last quarter to next."""
    months = [period_of(MONTH, today)]
    for _step in range(3):
        months.insert(0, months[0].previous())
        months.append(months[-1].next())
    quarter = period_of(QUARTER, today)
    return months + [quarter.previous(), quarter, quarter.next()]
