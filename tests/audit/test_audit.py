"""The audit log: append-only in the database, and an entry for each action staff take and each sign-in."""

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from portal.audit import services as audit
from portal.audit.models import AuditEntry
from portal.auth import services as accounts
from portal.auth.models import ADMIN, MANAGER
from portal.claims import services as claims
from portal.core.time import frozen_time
from portal.extensions import db
from portal.ledger import services as ledger
from tests.claims import factories as cf
from tests.contests import helpers as ch


def _actions(**where) -> list[str]:
    return [e.action for e in db.session.scalars(select(AuditEntry).filter_by(**where).order_by(AuditEntry.id))]


@pytest.mark.parametrize("statement", [
    "UPDATE audit_entries SET action = 'nothing'",
    "DELETE FROM audit_entries",
])
def test_the_database_refuses_to_change_or_delete_entries(db, make, statement):
    audit.record(audit.SIGN_IN, actor=make.user(role=ADMIN), object_type="user", object_id=1)
    db.session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(statement))
        db.session.flush()
    db.session.rollback()
    assert _actions() == [audit.SIGN_IN]


def test_claim_review_is_recorded(db, make):
    cf.product()
    cf.per_unit_rule(100)
    seller, manager = make.user(), make.user(role=MANAGER)
    approved, rejected = cf.submitted(seller), cf.submitted(seller, number="INV-2")
    claims.approve_claim(approved, manager)
    claims.reject_claim(rejected, manager, "Нет подписи")
    claims.reverse_claim(approved, manager, "Возврат")
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "claim")
                                 .order_by(AuditEntry.id)).all()
    assert [(e.action, e.object_id, e.actor_id) for e in entries] == [
        (audit.CLAIM_APPROVED, str(approved.id), manager.id),
        (audit.CLAIM_REJECTED, str(rejected.id), manager.id),
        (audit.CLAIM_REVERSED, str(approved.id), manager.id),
    ]
    assert entries[1].changes["reason"] == "Нет подписи"


def test_adjustments_roles_and_deactivation_are_recorded(db, make):
    admin, person = make.user(role=ADMIN, email="root@example.test"), make.user()
    ledger.adjust(person.id, 250, reason="Бонус", actor_id=admin.id, key="adj-1")
    ledger.adjust(person.id, 250, reason="Бонус", actor_id=admin.id, key="adj-1")  # a replay: one entry
    accounts.set_role(person, "partner_admin", admin)
    accounts.set_active(person, False, admin)
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == [audit.POINTS_ADJUSTED, audit.ROLE_CHANGED, audit.ACCOUNT_DEACTIVATED]
    assert entries[0].changes["points"] == 250 and entries[0].actor_email == "root@example.test"
    assert entries[1].changes["role"] == ["participant", "partner_admin"]


def test_contest_finalisation_is_recorded(db, make):
    from tests.contests.helpers import catalogue

    catalogue()
    manager = make.user(role=MANAGER)
    contest = ch.contest(manager)
    with frozen_time(contest.ends_at + timedelta(minutes=1)):
        from portal.contests import services as contests

        contests.finalise_contest(contest, manager)
    assert _actions(object_type="contest") == [audit.CONTEST_CREATED, audit.CONTEST_PUBLISHED,
                                               audit.CONTEST_FINALISED]


def test_sign_ins_settings_and_exports_are_recorded_with_address(app, client, make, login):
    admin = make.user(role=ADMIN, email="root@example.test")
    client.post("/login", data={"email": "root@example.test", "password": "wrong"},
                environ_base={"REMOTE_ADDR": "203.0.113.7"}, headers={"User-Agent": "Attacker/1.0"})
    client.post("/login", data={"email": "nobody@example.test", "password": "wrong"})
    login("root@example.test")
    client.post("/console/settings", data={
        "point_value": "2,00", "points_expire_months": "12", "claim_window_days": "60", "first_sale_bonus": "0",
        "birthday_bonus": "0", "copay_max_share_percent": "50", "payment_timeout_minutes": "30",
        "tax_rate_percent": "13"})
    assert client.get("/console/people/export.csv").status_code == 200
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [e.action for e in entries] == [audit.SIGN_IN_FAILED, audit.SIGN_IN_FAILED, audit.SIGN_IN,
                                               audit.SETTINGS_CHANGED, audit.DATA_EXPORTED]
        failed = entries[0]
        assert (failed.actor_id, failed.ip_address, failed.user_agent) == (admin.id, "203.0.113.7", "Attacker/1.0")
        assert entries[1].actor_id is None and entries[1].changes["email"] == "nobody@example.test"
        assert entries[3].changes["point_value_kopecks"] == [100, 200]
        assert entries[4].object_id == "partners.people_export"


def test_the_viewer_filters_pages_and_exports(app, client, make, login):
    manager = make.user(role=MANAGER, email="manager@example.test", full_name="Петров Иван")
    make.user(role=ADMIN, email="root@example.test")
    make.user(email="p@example.test")
    login("p@example.test")
    assert client.get("/console/audit").status_code == 403
    login("manager@example.test")
    login("root@example.test")
    page = client.get("/console/audit").get_data(as_text=True)
    assert "Вход в систему" in page and "manager@example.test" in page
    # the person signed in is named, with a link to their page; the type in the reader's language
    assert f'пользователь</span> <a href="/console/people/{manager.id}">Петров Иван</a>' in page
    assert "user #" not in page
    filtered = client.get("/console/audit?actor=root@&action=auth.sign_in").get_data(as_text=True)
    assert "root@example.test" in filtered and "manager@example.test" not in filtered
    assert '<option value="claim">заявка</option>' in page  # the object filter lists names a reader knows
    assert "manager@example.test" not in client.get("/console/audit?object_type=claim").get_data(as_text=True)
    assert "manager@example.test" in client.get("/console/audit?object_type=junk").get_data(as_text=True)  # ignored
    assert client.get("/console/audit?date_from=2020-01-01&date_to=2020-01-02").status_code == 200
    csv = client.get("/console/audit/export.csv?action=auth.sign_in")
    assert csv.status_code == 200 and "root@example.test" in csv.get_data(as_text=True)
    assert client.get("/console/audit/export.xlsx").status_code == 200
    with app.app_context():
        assert _actions(action=audit.AUDIT_EXPORTED) == [audit.AUDIT_EXPORTED] * 2


@pytest.mark.parametrize("query", ["date_from=99999-01-01", "date_to=9999-12-31", "page=" + "9" * 40,
                                   "object_id=" + "x" * 500, "actor=%00", "action=nope"])
def test_the_viewer_survives_junk_filters(client, make, login, query):
    make.user(role=ADMIN, email="root@example.test")
    login("root@example.test")
    assert client.get(f"/console/audit?{query}").status_code == 200


def test_mfa_changes_are_recorded(app, client, make, login):
    import re

    import pyotp

    user = make.user(role=MANAGER, email="boss@example.test")
    login("boss@example.test")
    page = client.get("/profile/mfa").get_data(as_text=True)
    secret = re.search(r'data-testid="mfa-secret">([A-Z2-7]+)<', page).group(1)
    client.post("/profile/mfa", data={"code": pyotp.TOTP(secret).now()})
    client.post("/profile/mfa/off", data={"off-password": "secret123"})
    with app.app_context():
        assert _actions(actor_id=user.id)[-2:] == [audit.MFA_ENABLED, audit.MFA_DISABLED]


def test_changes_name_their_fields_in_the_readers_language(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("ru"):
        assert audit.changes_text({"points": 500, "participant": 7}) == "баллы: 500; участник: 7"
        assert audit.changes_text({"birthday_bonus": [0, 300]}) == "Бонус ко дню рождения, баллов: 0 → 300"
        assert audit.changes_text({"unknown_key": 1}) == "unknown_key: 1"  # a key nobody named stays as stored
    with app.test_request_context(), force_locale("en"):
        assert audit.changes_text({"points": 500}) == "points: 500"
