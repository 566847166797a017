"""Jinja filters that show numbers, money, dates and phones the way the reader's locale expects."""

from decimal import Decimal

from flask_babel import format_currency, format_date, format_datetime, format_decimal

from portal.core.phones import format_phone


def rub(kopecks: int | None) -> str:
    """Money is stored in kopecks as integers; shown in RUB in the reader's locale."""
    if kopecks is None:
        return ""
    return format_currency(Decimal(kopecks) / 100, "RUB")


def number(value) -> str:
    return "" if value is None else format_decimal(value)


def register_filters(app) -> None:
    app.jinja_env.filters.update(
        rub=rub,
        number=number,
        date=lambda d, fmt="medium": format_date(d, fmt) if d else "",
        datetime=lambda d, fmt="medium": format_datetime(d, fmt) if d else "",
        phone=format_phone,
    )
