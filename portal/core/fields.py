"""Form fields and query-string parsers that refuse what the database cannot hold.

A 40-digit number, `1e309` or `NaN` typed into a form or a URL is a person's mistake (or a probe), never
a server error: these turn it into a translated message at the field, or into "no value".
"""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import has_request_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter
from wtforms import fields, widgets

# Every integer column is at most a 32-bit INTEGER on one of our engines, except money in BIGINT.
INT_MAX = 2_147_483_647
MONEY_MAX = Decimal("1000000000000")  # a trillion roubles: beyond any real invoice, well inside BIGINT kopecks


def db_int(value) -> int:
    """`request.args.get("page", 1, type=db_int)`: an int the database can compare with, else ValueError.

    Flask's `type=` turns the ValueError into the default, so junk in a URL reads as "not given".
    """
    number = int(str(value).strip())
    if not -INT_MAX <= number <= INT_MAX:
        raise ValueError("out of range")
    return number


def as_id(text) -> int | None:
    """The id typed in a search box or sent in a list of checkboxes, or None when no row could have it."""
    text = str(text or "").strip()
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if 0 < number <= INT_MAX else None


_GROUPED = re.compile(r"[1-9]\d{0,2}([.,])\d{3}(\1\d{3})*")


def normalise_number(text: str) -> str | None:
    """A number as a person types it, Russian or English way, for Decimal(); None when it cannot be read.

    Spaces group thousands ('12 345,50'); so do commas or dots followed by three digits ('45,000', '1.234.567':
    no amount here has three decimals), and the other separator is then the decimal one ('12,345.50',
    '12.345,50'); a single comma or dot before one or two digits is the decimal one ('12,5', '12.50').
    """
    text = re.sub(r"[\s\u00a0\u202f']", "", str(text))
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    last = max(text.rfind(","), text.rfind("."))
    if last < 0:
        return sign + text
    whole, decimals = text[:last], text[last + 1:]
    if len(decimals) == 3 and _GROUPED.fullmatch(text):  # 45,000 or 1.234.567: thousands only
        return sign + text.replace(",", "").replace(".", "")
    if "," in whole or "." in whole:  # 12,345.50: the last separator is the decimal one, the others group
        grouped = _GROUPED.fullmatch(whole)
        if grouped is None or grouped.group(1) == text[last]:  # 1.234.56 or 1,23,45: no way to read it
            return None
        whole = whole.replace(",", "").replace(".", "")
    return f"{sign}{whole}.{decimals}"


def finite_decimal(value) -> Decimal:
    """A Decimal that is a real, reasonably sized number, else ValueError."""
    try:
        number = Decimal(normalise_number(str(value).strip()) or "")
    except InvalidOperation as error:
        raise ValueError("not a number") from error
    if not number.is_finite() or abs(number) > MONEY_MAX:
        raise ValueError("out of range")
    return number


class IntegerField(fields.IntegerField):
    """WTForms' IntegerField that also refuses numbers no database column holds."""

    def post_validate(self, form, validation_stopped):
        """A date that was typed but cannot be read keeps its own message: a "required" check running after it
        (which sees no date) would otherwise replace it with "enter the date", as if nothing had been typed."""
        if self.process_errors and self.raw_data and str(self.raw_data[0]).strip():
            self.errors = list(self.process_errors)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not -INT_MAX <= self.data <= INT_MAX:
            self.data = None
            raise ValueError(_l("The number is too large."))


class DecimalField(fields.DecimalField):
    """WTForms' DecimalField that refuses NaN, infinities and absurd magnitudes with a clear message."""

    def post_validate(self, form, validation_stopped):
        """A date that was typed but cannot be read keeps its own message: a "required" check running after it
        (which sees no date) would otherwise replace it with "enter the date", as if nothing had been typed."""
        if self.process_errors and self.raw_data and str(self.raw_data[0]).strip():
            self.errors = list(self.process_errors)

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0] != "":
            try:
                finite_decimal(valuelist[0])
            except ValueError as error:
                self.data = None
                raise ValueError(_l("Enter a number.")) from error
        super().process_formdata(valuelist)


class BoundedIntegerConverter(IntegerConverter):
    """`<int:id>` in a URL: a number no table holds (a 40-digit id) is a 404, not an overflow in the database."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


# --- dates as the page's language writes them ------------------------------------------------------------------
# A browser's <input type="date"> shows the browser's own locale (Chromium ignores the page's `lang`), so an English
# page in a Russian browser asks for dd.mm.yyyy and vice versa. Date fields are text inputs in the page's language
# instead: Russian pages write 31.12.2026, English pages 2026-12-31 (ISO, unambiguous where 12/31 and 31/12 are
# both read); either form is accepted on every page.
DATE_FORMATS = {"ru": ("%d.%m.%Y", _l("DD.MM.YYYY")), "en": ("%Y-%m-%d", _l("YYYY-MM-DD"))}
# Day first only with dots: 12/5/2026 is 5 December to an American and 12 May to most of Europe, so slashes are
# refused (with the pattern in the message) rather than read one way silently.
_DAY_FIRST = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
YEARS = range(1000, 10000)  # four digits: a typo like 20266 is refused, a date far off is the form's to judge


def _date_format() -> tuple[str, object]:
    language = str(get_locale() or "ru").split("_")[0] if has_request_context() else "ru"
    return DATE_FORMATS.get(language, DATE_FORMATS["ru"])


def date_pattern() -> str:
    """How the page's language writes a date, for placeholders and messages: ДД.ММ.ГГГГ or YYYY-MM-DD."""
    return str(_date_format()[1])


def date_text(day: date | None) -> str:
    """A date as the page's language writes it in a date field."""
    return day.strftime(_date_format()[0]) if day else ""


def parse_day(text) -> date | None:
    """A date typed as 2026-12-31 or 31.12.2026 (one-digit day and month too), or None."""
    text = str(text or "").strip()[:20]
    if match := _ISO.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _DAY_FIRST.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
    else:
        return None
    try:
        return date(year, month, day) if year in YEARS else None
    except ValueError:  # 31.02.2026
        return None


class LocalDateField(fields.DateField):
    """A date field written the page's language's way (see DATE_FORMATS), accepting ISO dates too; a bad date gets
    a translated message at the field. Renders a text input with the pattern as its placeholder."""

    widget = widgets.TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.pop("format", None)
        super().__init__(label, validators, **kwargs)

    def __call__(self, **kwargs):
        kwargs.setdefault("placeholder", date_pattern())
        kwargs.setdefault("inputmode", "numeric")
        kwargs.setdefault("autocomplete", "off")
        kwargs.setdefault("maxlength", 10)
        kwargs.setdefault("lang", str(get_locale() or "ru") if has_request_context() else "ru")
        kwargs.pop("type", None)
        return super().__call__(**kwargs)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return date_text(self.data)

    def post_validate(self, form, validation_stopped):
        """A date that was typed but cannot be read keeps its own message: a "required" check running after it
        (which sees no date) would otherwise replace it with "enter the date", as if nothing had been typed."""
        if self.process_errors and self.raw_data and str(self.raw_data[0]).strip():
            self.errors = list(self.process_errors)

    def process_formdata(self, valuelist):
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        self.data = parse_day(valuelist[0])
        if self.data is None:
            raise ValueError(_l("Enter the date as %(pattern)s, for example %(example)s.", pattern=date_pattern(),
                                example=date_text(date(2026, 12, 31))))
