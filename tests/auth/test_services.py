from datetime import date

import pytest
from sqlalchemy import select

from portal.auth import services
from portal.auth.models import ADMIN, MANAGER, PARTICIPANT, PARTNER_ADMIN, Consent, User
from portal.auth.passwords import check_password_strength
from portal.core.errors import DomainError, NotAllowed
from portal.core.inn import make_inn
from portal.core.time import today
from portal.partners import services as partners
from portal.partners.history import audience_on
from portal.partners.models import APPROVED, PENDING, REJECTED, AudienceSpan, CompanyMembership, PartnerCompany


def registration(**overrides) -> services.Registration:
    values = dict(
        full_name="Иванов Иван Иванович", email="Ivan@Example.test", phone="8 (999) 123-45-67",
        birthday=date(1990, 5, 17), audience="specialist", job_title="Монтажник", password="montazh2026",
        inn=make_inn("770100001"), company_name="ООО «Монтаж»", company_region="Москва",
        accepted_rules=True, accepted_personal_data=True, ip_address="127.0.0.1",
    )
    values.update(overrides)
    return services.Registration(**values)


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("montazh2026", True),
        ("demo12345", True),
        ("short1", False),  # too short
        ("onlyletters", False),
        ("1234567890", False),
        ("password1", False),  # a common one
        ("aaaa1111", False),  # too few distinct characters
        ("x1" * 70, False),  # too long
    ],
)
def test_password_rule(password, ok):
    if ok:
        check_password_strength(password)
    else:
        with pytest.raises(DomainError) as error:
            check_password_strength(password)
        assert error.value.field == "password"


def test_register_with_unknown_inn_creates_a_pending_company(db):
    user = services.register_participant(registration())
    db.session.commit()
    assert user.email == "ivan@example.test"
    assert user.phone == "+79991234567"
    assert user.role == PARTICIPANT
    assert user.email_confirmed_at is None
    assert user.company.status == PENDING
    assert user.company.name == "ООО «Монтаж»"
    memberships = db.session.scalars(select(CompanyMembership).where(CompanyMembership.user_id == user.id)).all()
    assert [(m.company_id, m.ended_at) for m in memberships] == [(user.company_id, None)]
    consents = {(c.document, c.version) for c in db.session.scalars(select(Consent))}
    assert consents == {("rules", "2026-01"), ("personal_data", "2026-01")}


def test_registration_asks_the_audience_once_and_opens_its_history(db):
    user = services.register_participant(registration(audience="specialist"))
    spans = db.session.scalars(select(AudienceSpan).where(AudienceSpan.user_id == user.id)).all()
    assert [(s.audience, s.started_at, s.ended_at, s.changed_by_id) for s in spans] == [
        ("specialist", user.created_at, None, None)]
    assert audience_on(user.id, today()) == user.audience == "specialist"


def test_register_with_known_inn_attaches_to_that_company(db, make):
    company = make.company(name="ООО «Известная»")
    user = services.register_participant(registration(inn=company.inn, company_name="", company_region=""))
    assert user.company_id == company.id
    assert db.session.scalar(select(PartnerCompany.id).where(PartnerCompany.inn == company.inn)) == company.id


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"inn": "7707083894"}, "inn"),
        ({"company_name": ""}, "company_name"),
        ({"company_region": ""}, "company_region"),
        ({"phone": "+44 20 7946 0958"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"password": "123"}, "password"),
        ({"audience": "boss"}, "audience"),
        ({"accepted_personal_data": False}, "consent"),
        ({"birthday": date(2020, 1, 1)}, "birthday"),
        ({"full_name": "  "}, "full_name"),
    ],
)
def test_registration_rules(db, overrides, field):
    with pytest.raises(DomainError) as error:
        services.register_participant(registration(**overrides))
    assert error.value.field == field


def test_email_is_unique_whatever_the_case(db, make):
    make.user(email="ivan@example.test")
    with pytest.raises(DomainError) as error:
        services.register_participant(registration(email="IVAN@example.test"))
    assert error.value.field == "email"


def test_rejected_company_cannot_take_new_staff(db, make):
    company = make.company(status=REJECTED)
    with pytest.raises(DomainError) as error:
        services.register_participant(registration(inn=company.inn))
    assert error.value.field == "inn"


def test_confirmation_token_confirms_once_and_rejects_forgeries(db, make):
    user = make.user(confirmed=False)
    token = services.email_confirmation_token(user)
    assert services.confirm_email(token).user.email_confirmed_at is not None
    with pytest.raises(DomainError):
        services.confirm_email(token + "x")


def test_authenticate_reasons(db, make):
    make.user(email="ok@example.test")
    make.user(email="new@example.test", confirmed=False)
    make.user(email="gone@example.test", active=False)
    assert services.authenticate("OK@example.test", "secret123").email == "ok@example.test"
    with pytest.raises(DomainError, match="Wrong email or password|Неверный"):
        services.authenticate("ok@example.test", "wrong-pass1")
    with pytest.raises(DomainError, match="Wrong email or password|Неверный"):
        services.authenticate("nobody@example.test", "secret123")
    with pytest.raises(services.EmailNotConfirmed):
        services.authenticate("new@example.test", "secret123")
    with pytest.raises(DomainError, match="deactivated|деактивирована"):
        services.authenticate("gone@example.test", "secret123")


def test_password_reset_token_works_once_and_signs_out_other_sessions(db, make):
    user = make.user()
    old_session = user.session_token
    token = services.password_reset_token(user)
    services.reset_password(token, "brandnew2026")
    assert user.session_token != old_session
    assert services.authenticate(user.email, "brandnew2026") is user
    with pytest.raises(DomainError):
        services.reset_password(token, "another2026x")


@pytest.mark.parametrize(
    ("actor_role", "target_role", "new_role", "allowed"),
    [
        (MANAGER, PARTICIPANT, PARTNER_ADMIN, True),
        (MANAGER, PARTNER_ADMIN, PARTICIPANT, True),
        (MANAGER, PARTICIPANT, MANAGER, False),
        (MANAGER, MANAGER, PARTICIPANT, False),
        (ADMIN, PARTICIPANT, MANAGER, True),
        (ADMIN, MANAGER, ADMIN, True),
    ],
)
def test_who_may_change_roles(db, make, actor_role, target_role, new_role, allowed):
    actor = make.user(role=actor_role)
    target = make.user(role=target_role)
    if allowed:
        services.set_role(target, new_role, actor)
        assert target.role == new_role
    else:
        with pytest.raises(NotAllowed):
            services.set_role(target, new_role, actor)
        assert target.role == target_role


def test_nobody_changes_their_own_role_or_deactivates_themselves(db, make):
    admin = make.user(role=ADMIN)
    with pytest.raises(NotAllowed):
        services.set_role(admin, PARTICIPANT, admin)
    with pytest.raises(NotAllowed):
        services.set_active(admin, False, admin)


def test_deactivation_signs_the_person_out(db, make):
    manager, person = make.user(role=MANAGER), make.user()
    token = person.session_token
    services.set_active(person, False, manager)
    assert not person.active and person.session_token != token


def test_moving_keeps_the_account_and_records_history(db, make):
    manager = make.user(role=MANAGER)
    first, second = make.company(name="Первая"), make.company(name="Вторая")
    person = make.user(company=first)
    partners.move_participant(person, second, manager)
    db.session.commit()
    history = partners.membership_history(person)
    assert [m.company.name for m in history] == ["Вторая", "Первая"]
    assert history[0].ended_at is None and history[1].ended_at is not None
    assert person.company_id == second.id
    with pytest.raises(DomainError):
        partners.move_participant(person, second, manager)


def test_the_database_refuses_two_open_memberships(db, make):
    from sqlalchemy.exc import IntegrityError

    person = make.user()
    db.session.add(CompanyMembership(user_id=person.id, company_id=make.company().id))
    with pytest.raises(IntegrityError):
        db.session.commit()


def test_company_approval(db, make):
    manager = make.user(role=MANAGER)
    company = make.company(status=PENDING)
    partners.approve_company(company, manager)
    assert company.status == APPROVED and company.reviewed_by_id == manager.id
    with pytest.raises(DomainError):
        partners.reject_company(make.company(status=PENDING), manager, reason="")


def test_user_model_refuses_unknown_roles_in_the_database(db):
    from sqlalchemy.exc import IntegrityError

    db.session.add(User(email="x@example.test", password_hash="x", full_name="X Y", role="superuser"))
    with pytest.raises(IntegrityError):
        db.session.commit()
