"""Jinja filters that show numbers, money, dates and phones the way the reader's locale expects."""

from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import format_currency as babel_format_currency
from babel.numbers import format_decimal as babel_format_decimal
from babel.numbers import get_decimal_symbol, get_group_symbol, get_minus_sign_symbol, parse_pattern
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


# Numbers that prove a locale's fast formatting equals Babel's: signs, grouping, rounding of kopecks, large values.
_PROBES = (0, 5, -5, 99, 100, 999, 1000, -1000, 12_345, 1_234_550, -1_234_567, 99_999_999_999, -10**15)


@lru_cache(maxsize=16)
def _locale(locale_id: str) -> Locale:
    return Locale.parse(locale_id)


@lru_cache(maxsize=16)
def _decimal_pattern(locale_id: str):
    return parse_pattern(_locale(locale_id).decimal_formats[None])  # the locale's "#,##0.###", parsed once


@lru_cache(maxsize=16)
def _whole_number_format(locale_id: str):
    """How the locale writes a whole number ("1 234 567", "-1,000"), as a plain Python function, or None when Babel's
    output for the probes is not what that function gives (then Babel formats every number)."""
    locale = _locale(locale_id)
    group, minus = get_group_symbol(locale), get_minus_sign_symbol(locale)

    def whole(value: int) -> str:
        grouped = f"{abs(value):,}".replace(",", group)
        return minus + grouped if value < 0 else grouped

    same = all(whole(v) == babel_format_decimal(v, locale=locale) for v in _PROBES)
    return whole if same else None


@lru_cache(maxsize=16)
def _rub_format(locale_id: str):
    """The locale's way of writing an amount of roubles from kopecks, as a plain function checked against Babel's
    output for the probes (None when it differs: then Babel formats every amount)."""
    locale = _locale(locale_id)
    whole = _whole_number_format(locale_id)
    if whole is None:
        return None
    decimal = get_decimal_symbol(locale)
    sample = "1" + get_group_symbol(locale) + "234" + get_group_symbol(locale) + "567" + decimal + "89"

    def babel_rub(kopecks: int) -> str:
        return babel_format_currency(Decimal(kopecks) / 100, "RUB", format=_parsed_currency_pattern(locale_id),
                                     locale=locale)

    positive, negative = babel_rub(123_456_789), babel_rub(-123_456_789)
    if sample not in positive or sample not in negative:
        return None
    before, after = positive.split(sample, 1)
    minus_before, minus_after = negative.split(sample, 1)

    def rub_text(kopecks: int) -> str:
        amount = whole(abs(kopecks) // 100) + decimal + f"{abs(kopecks) % 100:02d}"
        return minus_before + amount + minus_after if kopecks < 0 else before + amount + after

    return rub_text if all(rub_text(k) == babel_rub(k) for k in _PROBES) else None


def rub(kopecks: int | None) -> str:
    """Money is stored in kopecks as integers; shown in RUB in the reader's locale, "425,00 ₽" or "RUB 425.00".
    A page shows hundreds of amounts: the locale's way of writing them is worked out once (and checked against
    Babel's), not looked up and parsed per amount."""
    if kopecks is None:
        return ""
    locale = get_locale()
    locale_id = str(locale)
    fast = _rub_format(locale_id) if type(kopecks) is int and locale is not None else None
    if fast is not None:
        return fast(kopecks)
    return format_currency(Decimal(kopecks) / 100, "RUB", format=_parsed_currency_pattern(locale_id))


def money_input(kopecks: int | None) -> str:
    """An amount for a form field, as the reader types it: 100 000 or 12 345,50 (parse_money reads it back)."""
    if kopecks is None:
        return ""
    return format_decimal(Decimal(kopecks) / 100, format="#,##0" if kopecks % 100 == 0 else "#,##0.00")


def number(value) -> str:
    """A number in the reader's locale ("1 234 567", "12,5"), as Babel's format_decimal writes it, with the locale and
    its pattern resolved once per locale (whole numbers, most of a KPI table, without Babel at all)."""
    if value is None:
        return ""
    locale = get_locale()
    if locale is None:  # outside a request: Babel's default locale
        return format_decimal(value)
    locale_id = str(locale)
    if type(value) is int:
        whole = _whole_number_format(locale_id)
        if whole is not None:
            return whole(value)
    return _decimal_pattern(locale_id).apply(value, _locale(locale_id))


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
