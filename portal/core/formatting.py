"""Jinja filters that show numbers, money, dates and phones the way the reader's locale expects."""

from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import parse_pattern
from flask_babel import format_currency, format_date, format_datetime, format_decimal, get_locale
from flask_babel.speaklater import LazyString

from portal.core.fields import date_pattern
from portal.core.phones import format_phone

NBSP = "\xa0"


def spaced_currency_pattern(locale) -> str:
    """The locale's currency pattern with a space between the symbol and the number: English's "¤#,##0.00"
    would print "RUB425.00"; Russian's "#,##0.00 ¤" is kept as it is ("425,00 ₽")."""
    pattern = Locale.parse(locale).currency_formats["standard"].pattern.split(";")[0]
    if pattern.startswith("¤") and not pattern.startswith("¤" + NBSP):
        pattern = "¤" + NBSP + pattern[1:]
    elif pattern.endswith("¤") and not pattern.endswith(NBSP + "¤"):
        pattern = pattern[:-1] + NBSP + "¤"
    return pattern


@lru_cache(maxsize=16)
def _parsed_currency_pattern(locale_id: str):
    return parse_pattern(spaced_currency_pattern(locale_id))  # parsed once per locale, not per amount shown


def rub(kopecks: int | None) -> str:
    """Money is stored in kopecks as integers; shown in RUB in the reader's locale, "425,00 ₽" or "RUB 425.00"."""
    if kopecks is None:
        return ""
    return format_currency(Decimal(kopecks) / 100, "RUB", format=_parsed_currency_pattern(str(get_locale())))


def money_input(kopecks: int | None) -> str:
    """An amount for a form field, as the reader types it: 100 000 or 12 345,50 (parse_money reads it back)."""
    if kopecks is None:
        return ""
    return format_decimal(Decimal(kopecks) / 100, format="#,##0" if kopecks % 100 == 0 else "#,##0.00")


def number(value) -> str:
    return "" if value is None else format_decimal(value)


def _plain_lazy_strings(value):
    """A lazy translated message renders as text, escaped like any other value.

    flask-babel's LazyString declares itself markup (`__html__` returns the string as it is), so a message that
    quotes what a person typed ("Not found: <script>…") would reach the page unescaped. No message of the portal
    carries markup of its own; templates that need a link in a message use _() with |safe on their own text.
    """
    return str(value) if isinstance(value, LazyString) else value


def register_filters(app) -> None:
    app.jinja_env.finalize = _plain_lazy_strings
    app.jinja_env.filters.update(
        rub=rub,
        number=number,
        date=lambda d, fmt="medium": format_date(d, fmt) if d else "",
        datetime=lambda d, fmt="medium": format_datetime(d, fmt) if d else "",
        phone=format_phone,
    )
    app.jinja_env.globals.update(date_pattern=date_pattern)
