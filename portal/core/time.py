"""One clock for the whole portal, so rules that depend on time can be tested with a frozen one."""

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """Naive UTC: stored the same way in SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    return utcnow().date()
