from sqlalchemy import select

from portal.auth.models import User
from portal.core.inn import make_inn
from portal.extensions import db
from portal.partners.models import PENDING, PartnerCompany

FORM = {
    "full_name": "Петрова Мария Сергеевна",
    "email": "maria@example.test",
    "phone": "+7 (916) 555-12-34",
    "birthday": "1992-03-04",
    "audience": "manager",
    "job_title": "Менеджер по продажам",
    "inn": make_inn("770200002"),
    "company_name": "ООО «Новые окна»",
    "company_region": "Москва",
    "password": "okna2026x",
    "password_confirm": "okna2026x",
    "accept_rules": "y",
    "accept_personal_data": "y",
}


def test_registration_confirmation_and_login(app, client, mailbox):
    response = client.post("/register", data=FORM)
    assert response.status_code == 200
    assert "maria@example.test" in response.get_data(as_text=True)
    message = mailbox.last_to("maria@example.test")
    assert "Подтвердите" in message["Subject"]  # Russian by default

    # Not confirmed yet: login explains and offers to resend the link.
    response = client.post("/login", data={"email": "maria@example.test", "password": "okna2026x"})
    assert response.status_code == 200
    assert "Отправить ссылку ещё раз" in response.get_data(as_text=True)

    link = mailbox.link_in(message)
    response = client.get(link.replace("http://localhost", ""))
    assert response.status_code == 302
    response = client.post("/login", data={"email": "maria@example.test", "password": "okna2026x"})
    assert response.status_code == 302
    page = client.get("/home").get_data(as_text=True)
    assert "Петрова Мария Сергеевна" in page
    assert "ожидает одобрения" in page  # the new company is pending
    with app.app_context():
        company = db.session.scalar(select(PartnerCompany).where(PartnerCompany.inn == FORM["inn"]))
        assert company.status == PENDING


def test_invalid_registration_keeps_what_was_typed_and_saves_nothing(app, client):
    data = {**FORM, "inn": "7707083894", "password_confirm": "different1"}
    response = client.post("/register", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Петрова Мария Сергеевна" in page and "ООО «Новые окна»" in page
    assert "контрольн" in page  # the INN message, in Russian
    assert "Пароли не совпадают" in page
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "maria@example.test")) is None
        assert db.session.scalar(select(PartnerCompany)) is None


def test_english_visitor_gets_english_messages(client):
    client.set_cookie("locale", "en")
    response = client.post("/register", data={**FORM, "phone": "12345"})
    assert "Enter a Russian phone number" in response.get_data(as_text=True)


def test_wrong_password_message(client, make):
    make.user(email="seller@example.test")
    response = client.post("/login", data={"email": "seller@example.test", "password": "nope12345"})
    assert "Неверный email или пароль" in response.get_data(as_text=True)


def test_login_rotates_the_session_and_follows_only_local_next(client, make):
    make.user(email="seller@example.test")
    with client.session_transaction() as session:
        session["stale"] = "from before login"
    response = client.post(
        "/login?next=https://evil.example/", data={"email": "seller@example.test", "password": "secret123"}
    )
    assert response.headers["Location"] == "/home"
    with client.session_transaction() as session:
        assert "stale" not in session


def test_login_is_rate_limited_per_account(app, make_app, make):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS="3 per minute")
    make.user(email="target@example.test")
    client = app.test_client()
    for _ in range(3):
        assert client.post("/login", data={"email": "target@example.test", "password": "wrong1234"}).status_code == 200
    response = client.post("/login", data={"email": "target@example.test", "password": "secret123"})
    assert response.status_code == 429
    assert "Слишком много неудачных попыток" in response.get_data(as_text=True)
    # Another account from the same address is not blocked by this one's limit.
    make.user(email="other@example.test")
    assert client.post("/login", data={"email": "other@example.test", "password": "secret123"}).status_code == 302


def test_password_reset_by_email(client, mailbox, make):
    make.user(email="forgetful@example.test")
    client.post("/password/forgot", data={"email": "forgetful@example.test"})
    link = mailbox.link_in(mailbox.last_to("forgetful@example.test")).replace("http://localhost", "")
    response = client.post(link, data={"password": "remember2026", "password_confirm": "remember2026"})
    assert response.status_code == 302
    response = client.post("/login", data={"email": "forgetful@example.test", "password": "remember2026"})
    assert response.status_code == 302


def test_forgot_password_does_not_reveal_accounts(client, mailbox):
    response = client.post("/password/forgot", data={"email": "nobody@example.test"}, follow_redirects=True)
    assert response.status_code == 200
    assert mailbox.messages == []


def test_profile_edit_and_language(client, login, make):
    user = make.user(email="me@example.test")
    login("me@example.test")
    response = client.post("/profile", data={
        "full_name": "Новое Имя Человека", "phone": "8 916 000 11 22", "birthday": "1985-01-02",
        "job_title": "Инженер", "locale": "en",
    }, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Your profile is saved." in page
    assert "+7 (916) 000-11-22" in page
    with client.application.app_context():
        saved = db.session.get(User, user.id)
        assert (saved.full_name, saved.phone, saved.audience, saved.locale) == (
            "Новое Имя Человека", "+79160001122", "manager", "en")


def test_password_change_ends_other_sessions(app, make, login, client):
    make.user(email="me@example.test")
    other = app.test_client()
    other.post("/login", data={"email": "me@example.test", "password": "secret123"})
    assert other.get("/home").status_code == 200
    login("me@example.test")
    response = client.post("/profile/password", data={
        "pw-current_password": "secret123", "pw-password": "changed2026", "pw-password_confirm": "changed2026"})
    assert response.status_code == 302
    assert client.get("/home").status_code == 200  # this session goes on
    assert other.get("/home").status_code == 302  # the other one is signed out
