"""Form fields and query-string parsers that refuse what the database cannot hold.

A 40-digit number, `1e309` or `NaN` typed into a form or a URL is a person's mistake (or a probe), never
a server error: these turn it into a translated message at the field, or into "no value".
"""

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter
from wtforms import fields

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

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not -INT_MAX <= self.data <= INT_MAX:
            self.data = None
            raise ValueError(_l("The number is too large."))


class DecimalField(fields.DecimalField):
    """WTForms' DecimalField that refuses NaN, infinities and absurd magnitudes with a clear message."""

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
