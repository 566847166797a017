"""Dates are typed the page's language's way (31.12.2026 in Russian, 2026-12-31 in English), either form is
accepted on every page, and a date nobody can read gets a translated message at the field, never a 500."""

from datetime import date

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms.validators import DataRequired, Optional

from portal.core.fields import LocalDateField, parse_day


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-31", date(2026, 12, 31)), ("31.12.2026", date(2026, 12, 31)), (" 1.2.2026 ", date(2026, 2, 1)),
    ("31/12/2026", None), ("12/5/2026", None), ("2026-2-1", date(2026, 2, 1)),
    ("31.02.2026", None), ("2026-13-01", None), ("12/31/2026", None), ("завтра", None), ("20266-01-01", None),
    ("01.01.0001", None), ("", None), (None, None), ("9" * 40, None),
])
def test_a_date_reads_in_iso_and_the_russian_way(text, expected):
    assert parse_day(text) == expected


class _Form(FlaskForm):
    class Meta:
        csrf = False

    day = LocalDateField("Day", validators=[Optional()])


@pytest.mark.parametrize(("locale", "shown", "pattern", "error"), [
    ("ru", "31.12.2026", "ДД.ММ.ГГГГ", "Введите дату в виде ДД.ММ.ГГГГ, например 31.12.2026."),
    ("en", "2026-12-31", "YYYY-MM-DD", "Enter the date as YYYY-MM-DD, for example 2026-12-31."),
])
def test_the_field_writes_the_pages_language_takes_both_and_explains_a_bad_date(app, locale, shown, pattern, error):
    with app.test_request_context("/", headers={"Cookie": f"locale={locale}"}):
        for typed in ("2026-12-31", "31.12.2026"):
            form = _Form(formdata=MultiDict({"day": typed}))
            assert form.validate() and form.day.data == date(2026, 12, 31), typed
        html = str(_Form(data={"day": date(2026, 12, 31)}).day())
        assert f'value="{shown}"' in html and f'placeholder="{pattern}"' in html and 'type="text"' in html
        assert f'lang="{locale}"' in html and 'type="date"' not in html
        bad = _Form(formdata=MultiDict({"day": "31.02.2026"}))
        assert not bad.validate() and [str(e) for e in bad.day.errors] == [error]
        kept = _Form(formdata=MultiDict({"day": "31.02.2026"}))
        kept.validate()
        assert 'value="31.02.2026"' in str(kept.day())  # what was typed stays for correcting
        assert _Form(formdata=MultiDict({"day": ""})).validate()


def test_a_statement_filter_with_a_russian_date_and_a_bad_one(client, login, make):
    make.user(email="seller@example.test")
    login("seller@example.test")
    assert client.get("/points?date_from=01.06.2026&date_to=2026-06-30").status_code == 200
    page = client.get("/points?date_from=30.02.2026")
    assert page.status_code == 200 and "Введите дату в виде ДД.ММ.ГГГГ" in page.get_data(as_text=True)


class _RequiredForm(FlaskForm):
    class Meta:
        csrf = False

    day = LocalDateField("Day", validators=[DataRequired(message="Enter the invoice date.")])


def test_a_required_date_typed_wrong_says_how_to_write_it_not_that_it_is_missing(app):
    with app.test_request_context("/", headers={"Cookie": "locale=en"}):
        for typed in ("31.02.2026", "12/5/2026"):
            form = _RequiredForm(formdata=MultiDict({"day": typed}))
            assert not form.validate()
            assert [str(e) for e in form.day.errors] == ["Enter the date as YYYY-MM-DD, for example 2026-12-31."]
        empty = _RequiredForm(formdata=MultiDict({"day": ""}))
        assert not empty.validate() and empty.day.errors == ["Enter the invoice date."]
