"""Registration that converts (issues #24, #25): an INN checked as it is typed without telling who applied,
passwords that survive an error elsewhere on the form, and a confirmation link that signs the person in and
takes them to their next step."""

import re

import pytest
from sqlalchemy import select

from portal.auth.models import User
from portal.core.inn import make_inn
from portal.extensions import db
from portal.partners.models import APPROVED, PENDING, REJECTED
from tests.auth.test_views import FORM


def _lookup(client, inn):
    response = client.get(f"/register/company?inn={inn}")
    assert response.status_code == 200
    return response


# --- the company lookup ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [PENDING, REJECTED])
def test_the_company_lookup_answers_alike_for_unknown_and_not_admitted_companies(client, make, status):
    applied = make.company(name="ООО «Секретная заявка»", status=status)
    unknown = _lookup(client, make_inn("123456780"))
    answer = _lookup(client, applied.inn)
    assert answer.get_json() == unknown.get_json()
    assert answer.get_json()["in_program"] is False
    assert "Секретная" not in answer.get_data(as_text=True) and "status" not in answer.get_json()
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_company_lookup_names_a_company_in_the_program(client, make):
    company = make.company(name="ООО «Тёплый дом»", status=APPROVED)
    answer = _lookup(client, f" {company.inn} ").get_json()
    assert answer["valid"] is True and answer["in_program"] is True
    assert answer["message"] == "Компания в программе: ООО «Тёплый дом»."


@pytest.mark.parametrize("inn", ["7707083894", "12345", "77070838931x"])
def test_the_company_lookup_explains_a_wrong_inn_in_the_visitor_language(client, inn):
    answer = _lookup(client, inn).get_json()
    assert answer == {"valid": False, "in_program": False,
                      "message": "Введите правильный ИНН: 10 или 12 цифр с верной контрольной цифрой."}
    client.set_cookie("locale", "en")
    assert _lookup(client, inn).get_json()["message"].startswith("Enter a valid INN")


def test_the_company_lookup_is_rate_limited(make_app):
    client = make_app(RATELIMIT_ENABLED=True, COMPANY_LOOKUP_LIMIT="3 per minute").test_client()
    inn = make_inn("123456780")
    for _ in range(3):
        assert client.get(f"/register/company?inn={inn}").status_code == 200
    assert client.get(f"/register/company?inn={inn}").status_code == 429


# --- passwords through a form error ---------------------------------------------------------------------------

def _password_values(page: str) -> dict:
    values = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]*)"', tag)
        if name and name.group(1) in ("password", "password_confirm"):
            value = re.search(r'value="([^"]*)"', tag)
            values[name.group(1)] = value.group(1) if value else ""
    return values


def test_an_error_elsewhere_keeps_the_passwords_typed(client):
    response = client.post("/register", data={**FORM, "phone": "12345"})
    page = response.get_data(as_text=True)
    assert "Введите российский номер" in page
    assert _password_values(page) == {"password": "okna2026x", "password_confirm": "okna2026x"}
    assert "no-store" in response.headers["Cache-Control"]  # no cache keeps the page with the password


@pytest.mark.parametrize("change", [
    {"password_confirm": "different1"},  # they do not match
    {"password": "short1", "password_confirm": "short1"},  # too weak
])
def test_a_password_error_asks_for_both_passwords_again(client, change):
    page = client.post("/register", data={**FORM, "phone": "12345", **change}).get_data(as_text=True)
    assert _password_values(page) == {"password": "", "password_confirm": ""}
    assert "Введите российский номер" in page  # every error shows at once


def test_a_service_error_elsewhere_keeps_the_passwords_typed(client, make):
    rejected = make.company(status=REJECTED)
    page = client.post("/register", data={**FORM, "inn": rejected.inn}).get_data(as_text=True)
    assert "не допущена" in page
    assert _password_values(page) == {"password": "okna2026x", "password_confirm": "okna2026x"}


# --- the confirmation link -------------------------------------------------------------------------------------

def _confirmation_link(mailbox, email="maria@example.test"):
    return mailbox.link_in(mailbox.last_to(email)).replace("http://localhost", "")


def test_the_confirmation_link_signs_in_and_shows_the_company_pending(app, client, mailbox):
    client.post("/register", data=FORM)
    response = client.get(_confirmation_link(mailbox))
    assert response.status_code == 302 and response.headers["Location"] == "/home"
    page = client.get("/home").get_data(as_text=True)
    assert "Петрова Мария Сергеевна" in page
    assert "Email подтверждён" in page and "ожидает одобрения" in page


def test_the_confirmation_link_of_an_approved_company_leads_to_the_first_sale(app, client, mailbox, make):
    company = make.company(status=APPROVED)
    client.post("/register", data={**FORM, "inn": company.inn, "company_name": "", "company_region": ""})
    response = client.get(_confirmation_link(mailbox))
    assert response.headers["Location"] == "/claims/new"
    page = client.get("/claims/new").get_data(as_text=True)
    assert "первую продажу" in page


def test_the_confirmation_link_signs_in_only_once(app, client, mailbox):
    client.post("/register", data=FORM)
    link = _confirmation_link(mailbox)
    client.get(link)
    client.post("/logout")
    again = app.test_client()
    response = again.get(link)
    assert response.headers["Location"] == "/login"
    assert again.get("/home").status_code == 302  # not signed in: the link was used already
    assert "уже подтверждён" in again.get("/login").get_data(as_text=True)


def test_the_confirmation_link_does_not_sign_in_a_deactivated_account(app, client, mailbox):
    client.post("/register", data=FORM)
    with app.app_context():
        db.session.scalar(select(User).where(User.email == "maria@example.test")).active = False
        db.session.commit()
    response = client.get(_confirmation_link(mailbox))
    assert response.headers["Location"] == "/login"
    assert client.get("/home").status_code == 302
