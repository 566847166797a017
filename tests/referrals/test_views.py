"""The referral pages (issue #25): my invitation link and my invitees' progress, the manager's console, the
registration through a link, and the profile's links, in Russian and English."""

import re

import pytest
from sqlalchemy import select

from portal.auth.models import MANAGER, User
from portal.extensions import db
from portal.referrals import services
from portal.referrals.models import PAID, Referral
from tests.auth.test_views import FORM
from tests.referrals.helpers import approved_sale, invite, setup_program, with_own_phone


@pytest.fixture
def anna(app, make):
    user = make.user(email="anna@example.test", full_name="Орлова Анна")
    with app.app_context():
        with_own_phone(db.session.get(User, user.id))
        db.session.commit()
    return user


def _code(app, user_id) -> str:
    with app.app_context():
        code = services.link_of(db.session.get(User, user_id)).code
        db.session.commit()
        return code


@pytest.mark.parametrize(("locale", "words"), [("ru", ["Пригласить коллегу", "Скопировать ссылку"]),
                                               ("en", ["Invite a colleague", "Copy link"])])
def test_the_invitation_page_shows_my_link_in_my_language(app, client, login, make, locale, words):
    person = make.user(email="anna@example.test", locale=locale)
    login("anna@example.test")
    page = client.get("/referrals").get_data(as_text=True)
    code = _code(app, person.id)
    assert f"/register?ref={code}" in page
    for word in words:
        assert word in page
    assert client.get("/referrals").get_data(as_text=True).count(code) == 1  # the same link on every visit


def test_a_new_link_replaces_the_old(app, client, login, anna):
    login("anna@example.test")
    old = _code(app, anna.id)
    response = client.post("/referrals/renew")
    assert response.status_code == 302
    new = _code(app, anna.id)
    assert new != old
    client.post("/logout")
    page = client.get(f"/register?ref={old}").get_data(as_text=True)
    assert "недействительна" in page


def test_registering_through_the_link_records_the_referral_and_shows_the_referrer_the_progress(
        app, client, login, anna):
    code = _code(app, anna.id)
    page = client.get(f"/register?ref={code}").get_data(as_text=True)
    assert "недействительна" not in page
    response = client.post(f"/register?ref={code}", data=FORM)
    assert response.status_code == 200
    with app.app_context():
        referral = db.session.scalar(select(Referral))
        assert referral.referrer_id == anna.id and referral.invitee.email == FORM["email"]
    login("anna@example.test")
    page = client.get("/referrals").get_data(as_text=True)
    assert "Петрова Мария Сергеевна" in page
    assert "e-mail подтверждён: ещё нет" in page


@pytest.mark.parametrize("code", ["nonsense", "x" * 500, "a%20b"])
def test_an_unknown_link_still_registers_and_says_it_was_not_valid(app, client, code):
    assert "недействительна" in client.get(f"/register?ref={code}").get_data(as_text=True)
    response = client.post(f"/register?ref={code}", data=FORM)
    assert response.status_code == 200
    assert "недействительна" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.email == FORM["email"])) is not None
        assert db.session.scalar(select(Referral.id)) is None


def test_a_self_referral_by_phone_registers_without_the_referral_and_says_why(app, client, anna):
    with app.app_context():
        phone = db.session.get(User, anna.id).phone
    code = _code(app, anna.id)
    response = client.post(f"/register?ref={code}", data={**FORM, "phone": phone})
    assert "никто не может пригласить сам себя" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Referral.id)) is None


def test_a_signed_in_referrer_opening_their_own_link_is_sent_home(app, client, login, anna):
    login("anna@example.test")
    response = client.get(f"/register?ref={_code(app, anna.id)}")
    assert response.status_code == 302


def test_the_profile_links_to_the_mail_settings_and_the_invitation_page(client, login, anna):
    login("anna@example.test")
    page = client.get("/profile").get_data(as_text=True)
    [mail] = re.findall(r'href="([^"]+)" data-testid="mail-settings-link"', page)
    assert "Настройки рассылок" in client.get(mail).get_data(as_text=True)
    [invite_page] = re.findall(r'href="([^"]+)" data-testid="invite-colleague-link"', page)
    assert invite_page == "/referrals"


def test_the_home_page_has_the_invitation_card(client, login, anna):
    login("anna@example.test")
    assert 'data-testid="home-referrals"' in client.get("/home").get_data(as_text=True)


@pytest.mark.parametrize(("locale", "words"), [("ru", ["Рефералы", "Бонус за приглашение", "выплачено"]),
                                               ("en", ["Referrals", "Referral bonus", "points paid"])])
def test_the_console_lists_referrals_with_their_bonus(app, client, login, make, locale, words):
    make.user(role=MANAGER, email="boss@example.test", locale=locale)
    with app.app_context():
        boss = db.session.scalar(select(User).where(User.email == "boss@example.test"))
        anna = with_own_phone(make.user(full_name="Орлова Анна"))
        boris = with_own_phone(make.user(full_name="Борисов Борис"))
        setup_program(points=700)
        invite(anna, boris)
        approved_sale(boris, boss)
        db.session.commit()
    login("boss@example.test")
    page = client.get("/console/referrals").get_data(as_text=True)
    for word in ["Орлова Анна", "Борисов Борис", *words]:
        assert word in page
    assert "Борисов Борис" in client.get("/console/referrals?status=paid").get_data(as_text=True)
    assert "Борисов Борис" not in client.get("/console/referrals?status=waiting").get_data(as_text=True)


def test_the_console_is_paginated(app, client, login, make):
    make.user(role=MANAGER, email="boss@example.test")
    with app.app_context():
        anna = with_own_phone(make.user())
        for _ in range(27):
            invite(anna, with_own_phone(make.user()))
        db.session.commit()
    login("boss@example.test")
    first = client.get("/console/referrals").get_data(as_text=True)
    assert "page=2" in first
    assert client.get("/console/referrals?page=2").status_code == 200
    assert client.get("/console/referrals?page=abc").status_code == 200
    assert client.get("/console/referrals?page=99999999999999999999").status_code == 200


def test_the_manager_saves_the_bonus_settings(app, client, login, make):
    make.user(role=MANAGER, email="boss@example.test")
    login("boss@example.test")
    response = client.post("/console/referrals", data={"active": "y", "points": "900", "cap_per_period": "3",
                                                       "cap_period": "quarter"})
    assert response.status_code == 302
    with app.app_context():
        settings = services.get_referral_settings()
        assert (settings.active, settings.points, settings.cap_per_period, settings.cap_period) == (
            True, 900, 3, "quarter")


@pytest.mark.parametrize("data", [
    {"points": "abc"}, {"points": "0"}, {"points": "99999999999999999999"}, {"points": ""},
    {"points": "10", "cap_per_period": "-1"}, {"points": "10", "cap_period": "week"},
])
def test_bad_settings_are_refused_with_a_message(app, client, login, make, data):
    make.user(role=MANAGER, email="boss@example.test")
    login("boss@example.test")
    response = client.post("/console/referrals", data={"cap_period": "month", **data})
    assert response.status_code == 200
    assert "invalid-feedback" in response.get_data(as_text=True)
    with app.app_context():
        assert services.get_referral_settings().points == 500


def test_participants_cannot_open_the_console_and_staff_have_no_link(client, login, make, anna):
    login("anna@example.test")
    assert client.get("/console/referrals").status_code == 403
    make.user(role=MANAGER, email="boss@example.test")
    login("boss@example.test")
    assert client.get("/referrals").status_code == 403


def test_paid_bonus_is_shown_to_the_referrer(app, client, login, make, anna):
    with app.app_context():
        boss = make.user(role=MANAGER)
        boris = with_own_phone(make.user(full_name="Борисов Борис"))
        setup_program(points=700)
        invite(db.session.get(User, anna.id), boris)
        approved_sale(boris, boss)
        assert db.session.scalar(select(Referral.status)) == PAID
        db.session.commit()
    login("anna@example.test")
    page = client.get("/referrals").get_data(as_text=True)
    assert 'data-testid="referral-bonus-paid"' in page and "700" in page


@pytest.mark.parametrize(("locale", "message"), [("ru", "Укажите целое число"), ("en", "Enter a whole number")])
@pytest.mark.parametrize(("name", "typed"), [("points", "1,5"), ("points", "abc"), ("cap_per_period", "2.5")])
def test_a_number_that_is_not_whole_gets_one_message_and_keeps_what_was_typed(
        app, client, login, make, locale, message, name, typed):
    make.user(role=MANAGER, email="boss@example.test", locale=locale)
    login("boss@example.test")
    data = {"points": "10", "cap_period": "month", name: typed}
    page = client.post("/console/referrals", data=data).get_data(as_text=True)
    assert page.count('class="invalid-feedback"') == 1
    assert message in page
    field = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
    assert f'value="{typed}"' in field
    # A number input would drop a value the browser cannot read as a number ("1,5", "abc") when it shows the page.
    assert 'type="text"' in field and 'inputmode="numeric"' in field
