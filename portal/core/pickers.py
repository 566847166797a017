"""A form field for choosing many things out of thousands: codes (SKU, INN) typed one per line, or picked.

Without a script it is a plain text box where a manager may paste a column of codes from a spreadsheet;
portal/static/picker.js turns it into a search box with a list of chosen items (see groups/_picker.html).
"""

import re

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import ValidationError

_SEPARATORS = re.compile(r"[\n\r,;\t]+")
MAX_CODES = 5000


def split_codes(text: str) -> list[str]:
    codes, seen = [], set()
    for code in _SEPARATORS.split((text or "").replace("\x00", "")):
        code = " ".join(code.split())
        if code and code not in seen:
            seen.add(code)
            codes.append(code)
    return codes


class PickerField(TextAreaField):
    """`data` is a list of ids. `resolve(codes)` answers {code: id} for the codes it knows;
    `describe(ids)` answers [(code, label)] for showing the chosen ones."""

    def __init__(self, label=None, validators=None, *, resolve, describe, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.resolve = resolve
        self.describe = describe
        self.unknown: list[str] = []
        self.too_many = False

    def process_data(self, value):
        self.data = [v for v in (value or []) if isinstance(v, int)]

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        codes = split_codes(valuelist[0][:200_000])
        self.too_many = len(codes) > MAX_CODES
        found = self.resolve(codes[:MAX_CODES])
        self.unknown = [c for c in codes if c not in found]
        self.data = list(dict.fromkeys(found[c] for c in codes if c in found))

    def pre_validate(self, form):
        if self.too_many:
            raise ValidationError(_l("Too many items: at most %(n)s.", n=MAX_CODES))
        if self.unknown:
            shown = ", ".join(self.unknown[:10]) + ("…" if len(self.unknown) > 10 else "")
            raise ValidationError(_l("Not found: %(codes)s.", codes=shown))

    def items(self) -> list[dict]:
        return [{"code": code, "label": label} for code, label in self.describe(self.data or [])]

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "\n".join(item["code"] for item in self.items())
