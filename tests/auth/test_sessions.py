"""Sessions that really end: a cookie captured before signing out signs nobody in afterwards."""

from portal.auth.models import User
from portal.extensions import db


def _cookies(client) -> dict:
    return {cookie.key: cookie.value for cookie in client._cookies.values()}


def _replay(app, cookies: dict):
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def test_session_cookie_replayed_after_logout_is_anonymous(app, client, make):
    make.user(email="me@example.test")
    client.post("/login", data={"email": "me@example.test", "password": "secret123"})
    captured = _cookies(client)
    assert "session" in captured
    assert _replay(app, captured).get("/home").status_code == 200  # the copy works while the owner is in
    assert client.post("/logout").status_code == 302
    assert _replay(app, captured).get("/home").status_code == 302  # and not after logout
    assert client.get("/home").status_code == 302


def test_remember_me_cookie_replayed_after_logout_is_anonymous(app, client, make):
    make.user(email="me@example.test")
    client.post("/login", data={"email": "me@example.test", "password": "secret123", "remember": "y"})
    captured = _cookies(client)
    assert "remember_token" in captured
    only_remember = {"remember_token": captured["remember_token"]}
    assert _replay(app, only_remember).get("/home").status_code == 200  # the cookie alone signs in...
    client.post("/logout")
    assert _replay(app, only_remember).get("/home").status_code == 302  # ...until the owner signs out


def test_sign_out_everywhere_keeps_this_browser(app, client, make, login):
    user = make.user(email="me@example.test")
    elsewhere = app.test_client()
    elsewhere.post("/login", data={"email": "me@example.test", "password": "secret123", "remember": "y"})
    remembered = {"remember_token": _cookies(elsewhere)["remember_token"]}
    login("me@example.test")
    response = client.post("/profile/sessions/end", follow_redirects=True)
    assert "Вы вышли на всех других устройствах" in response.get_data(as_text=True)
    assert client.get("/home").status_code == 200
    assert elsewhere.get("/home").status_code == 302
    assert _replay(app, remembered).get("/home").status_code == 302
    with app.app_context():
        from portal.audit.models import AuditEntry

        actions = [e.action for e in db.session.query(AuditEntry).filter_by(actor_id=user.id)]
        assert "auth.sign_out_everywhere" in actions


def test_password_reset_ends_remembered_sessions(app, client, make, mailbox):
    make.user(email="me@example.test")
    client.post("/login", data={"email": "me@example.test", "password": "secret123", "remember": "y"})
    remembered = {"remember_token": _cookies(client)["remember_token"]}
    anonymous = app.test_client()
    anonymous.post("/password/forgot", data={"email": "me@example.test"})
    link = mailbox.link_in(mailbox.last_to("me@example.test")).replace("http://localhost", "")
    anonymous.post(link, data={"password": "remember2026", "password_confirm": "remember2026"})
    assert _replay(app, remembered).get("/home").status_code == 302
    with app.app_context():
        assert db.session.query(User).filter_by(email="me@example.test").one().session_token
