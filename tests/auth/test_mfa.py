"""Two-factor sign-in: enrolment, the code step, no replay, recovery codes, the staff requirement, re-auth."""

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from portal.auth import mfa
from portal.auth.models import User
from portal.core.time import frozen_time, utcnow
from portal.extensions import db

NOW = datetime(2026, 11, 23, 12, 0, 0)


def _code(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(moment.replace(tzinfo=UTC))


def _enrol(client) -> tuple[str, list[str]]:
    page = client.get("/profile/mfa").get_data(as_text=True)
    secret = re.search(r'data-testid="mfa-secret">([A-Z2-7]+)<', page).group(1)
    response = client.post("/profile/mfa", data={"code": _code(secret, NOW)})
    assert response.status_code == 200
    codes = re.findall(r"<li class=\"col mb-1\">([a-z2-9]{5}-[a-z2-9]{5})</li>", response.get_data(as_text=True))
    assert len(codes) == mfa.RECOVERY_CODES
    return secret, codes


def _password_step(client, email="boss@example.test"):
    client.post("/logout")
    return client.post("/login", data={"email": email, "password": "secret123"})


@pytest.fixture
def staff(make, client, login):
    make.user(email="boss@example.test", role="manager")
    login("boss@example.test")
    return client


def test_enrol_then_sign_in_with_a_code_once(app, staff):
    with frozen_time(NOW):
        secret, _codes = _enrol(staff)
        response = _password_step(staff)
        assert response.headers["Location"].endswith("/login/code")
        assert staff.get("/home").status_code == 302  # the password alone does not sign in
    with frozen_time(NOW + timedelta(seconds=30)):
        code = _code(secret, NOW + timedelta(seconds=30))
        assert staff.post("/login/code", data={"code": code}).status_code == 302
        assert staff.get("/home").status_code == 200
        # the same code again, in another sign-in within its 30 seconds: refused
        _password_step(staff)
        response = staff.post("/login/code", data={"code": code})
        assert response.status_code == 200
        assert staff.get("/home").status_code == 302


def test_an_old_code_is_refused_after_a_newer_one(app, staff):
    with frozen_time(NOW):
        secret, _codes = _enrol(staff)  # step of NOW used by the enrolment
        _password_step(staff)
        assert staff.post("/login/code", data={"code": _code(secret, NOW - timedelta(seconds=30))}).status_code == 200
        assert staff.get("/home").status_code == 302


def test_recovery_code_works_once_and_only_its_hash_is_kept(app, staff):
    with frozen_time(NOW):
        _secret, codes = _enrol(staff)
    with app.app_context():
        from portal.auth.models import RecoveryCode

        stored = [r.code_hash for r in db.session.query(RecoveryCode)]
        assert len(stored) == len(codes) and not set(codes) & set(stored)
    _password_step(staff)
    assert staff.post("/login/code", data={"code": codes[0].upper()}).status_code == 302
    assert staff.get("/home").status_code == 200
    _password_step(staff)
    assert staff.post("/login/code", data={"code": codes[0]}).status_code == 200
    assert staff.get("/home").status_code == 302


def test_wrong_code_during_enrolment_keeps_it_off(app, staff):
    staff.get("/profile/mfa")
    response = staff.post("/profile/mfa", data={"code": "000000"})
    assert response.status_code == 400
    with app.app_context():
        assert not db.session.query(User).filter_by(email="boss@example.test").one().mfa_enabled


def test_qr_code_is_drawn_locally_as_svg(staff):
    staff.get("/profile/mfa")
    response = staff.get("/profile/mfa/qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True).lstrip().startswith("<svg")


def test_turning_off_needs_the_password(app, staff):
    with frozen_time(NOW):
        _enrol(staff)
    staff.post("/profile/mfa/off", data={"off-password": "wrong"})
    with app.app_context():
        assert db.session.query(User).filter_by(email="boss@example.test").one().mfa_enabled
    staff.post("/profile/mfa/off", data={"off-password": "secret123"})
    with app.app_context():
        assert not db.session.query(User).filter_by(email="boss@example.test").one().mfa_enabled


def test_staff_without_mfa_are_sent_to_enrol_when_required(make_app, make):
    app = make_app(MFA_REQUIRED_FOR_STAFF=True)
    make.user(email="boss@example.test", role="admin")
    participant = make.user(email="seller@example.test")
    client = app.test_client()
    client.post("/login", data={"email": "boss@example.test", "password": "secret123"})
    response = client.get("/console/claims")
    assert response.status_code == 302 and response.headers["Location"].endswith("/profile/mfa")
    assert client.get("/profile/mfa").status_code == 200
    other = app.test_client()
    other.post("/login", data={"email": participant.email, "password": "secret123"})
    assert other.get("/home").status_code == 200  # participants are not asked


def test_role_change_needs_a_recent_password(app, make, client, login):
    make.user(email="boss@example.test", role="admin")
    person = make.user(email="seller@example.test")
    login("boss@example.test")
    with client.session_transaction() as session:
        session["auth_at"] = int(utcnow().timestamp()) - 3600
    response = client.post(f"/console/people/{person.id}/role", data={"role-role": "partner_admin"},
                           headers={"Referer": f"http://localhost/console/people/{person.id}"})
    assert response.status_code == 302 and "/reauth" in response.headers["Location"]
    with app.app_context():
        assert db.session.get(User, person.id).role == "participant"
    response = client.post(response.headers["Location"], data={"password": "secret123"})
    assert response.headers["Location"] == f"/console/people/{person.id}"
    client.post(f"/console/people/{person.id}/role", data={"role-role": "partner_admin"})
    with app.app_context():
        assert db.session.get(User, person.id).role == "partner_admin"


def test_reauth_refuses_a_wrong_password(make, client, login):
    make.user(email="boss@example.test", role="admin")
    login("boss@example.test")
    response = client.post("/reauth?next=/console/settings", data={"password": "wrong"})
    assert response.status_code == 200
    assert "Неверный пароль или код" in response.get_data(as_text=True)
