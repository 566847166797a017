"""Numbers and amounts as people type them, the Russian or the English way."""

import pytest

from portal.core.fields import normalise_number
from portal.products.services import parse_money


@pytest.mark.parametrize(("typed", "kopecks"), [
    ("12 345,50", 1_234_550), ("12345.5", 1_234_550), ("12,345.50", 1_234_550), ("12.345,50", 1_234_550),
    ("45,000", 4_500_000), ("45.000", 4_500_000), ("1,234,567", 123_456_700), ("1.234.567,89", 123_456_789),
    ("12,5", 1_250), ("45,00", 4_500), ("0,500", 50), ("45,", 4_500), ("100 ₽", 10_000), ("100 руб.", 10_000),
    ("RUB 2,987,770.00", 298_777_000), ("1\u00a0000\u00a0000", 100_000_000),
    ("1.234.56", None), ("1,23,45", None), ("45,0001", None), ("12,345,6", None), ("-5", None), ("abc", None),
    ("", None), ("NaN", None), ("1e309", None),
])
def test_amounts(typed, kopecks):
    assert parse_money(typed) == kopecks


def test_a_negative_number_keeps_its_sign():
    assert normalise_number("-1,500") == "-1500"
    assert normalise_number("-12,5") == "-12.5"


@pytest.mark.parametrize("locale", ["ru", "en"])
@pytest.mark.parametrize("kopecks", [10_000_000, 1_234_550, 5, 0, 99_999_999_999])
def test_an_amount_put_into_a_form_reads_back_the_same(app, locale, kopecks):
    from flask_babel import force_locale

    from portal.core.formatting import money_input
    from portal.products.services import parse_money

    with app.test_request_context(), force_locale(locale):
        shown = money_input(kopecks)
        assert parse_money(shown) == kopecks
    if locale == "ru" and kopecks == 10_000_000:
        assert shown == "100\xa0000"  # the fund of a stage, as the stage form shows it


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_numbers_and_amounts_read_as_babel_writes_them(app, locale):
    """The filters' own formatting of whole numbers and kopecks gives exactly Babel's text, signs and groups
    included."""
    from decimal import Decimal

    from babel.numbers import format_currency, format_decimal
    from flask_babel import force_locale

    from portal.core.formatting import number, rub, spaced_currency_pattern

    values = [0, 1, -1, 7, 999, 1000, -1000, 12_345, 1_234_567, -98_765_432_109, 10**15, 12.5, 0.125, 33.35,
              Decimal("2.5"), -0.4]
    with app.test_request_context(), force_locale(locale):
        for value in values:
            assert number(value) == format_decimal(value, locale=locale)
            if isinstance(value, int):
                assert rub(value) == format_currency(Decimal(value) / 100, "RUB", locale=locale,
                                                     format=spaced_currency_pattern(locale))
    if locale == "ru":
        with app.test_request_context(), force_locale(locale):
            assert (number(-1_234_567), rub(123_456_789)) == ("-1\xa0234\xa0567", "1\xa0234\xa0567,89\xa0₽")


def test_a_page_of_numbers_parses_no_pattern_per_number(app, monkeypatch):
    """A KPI table formats hundreds of numbers: the locale's patterns are parsed once, not once per number."""
    from babel import numbers
    from flask_babel import force_locale

    from portal.core import formatting

    parsed = []
    original = numbers.parse_pattern
    monkeypatch.setattr(numbers, "parse_pattern", lambda pattern: parsed.append(pattern) or original(pattern))
    monkeypatch.setattr(formatting, "parse_pattern", numbers.parse_pattern)
    with app.test_request_context(), force_locale("ru"):
        formatting.number(1)
        formatting.rub(1)
        parsed.clear()
        for value in range(200):
            formatting.number(value * 1001)
            formatting.number(value + 0.5)
            formatting.rub(value * 123)
    assert parsed == []
