"""Russian phone numbers: accept any usual way of typing, store E.164, show +7 (999) 999-99-99."""

import phonenumbers


def normalize_phone(value: str | None) -> str | None:
    """Return the number as E.164 (+79991234567), or None when it is not a valid +7 number."""
    raw = (value or "").strip()
    if not raw:
        return None
    digits = "".join(ch for ch in raw if ch.isdigit())
    # "8 999 ..." is how Russians dial at home: the trunk prefix 8 stands for +7.
    if not raw.startswith("+") and len(digits) == 11 and digits[0] == "8":
        raw = "+7" + digits[1:]
    try:
        number = phonenumbers.parse(raw, "RU")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 7 or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str | None) -> str:
    """+79991234567 -> +7 (999) 123-45-67; anything else is shown as stored."""
    if not e164:
        return ""
    if e164.startswith("+7") and len(e164) == 12 and e164[1:].isdigit():
        n = e164[2:]
        return f"+7 ({n[0:3]}) {n[3:6]}-{n[6:8]}-{n[8:10]}"
    return e164
