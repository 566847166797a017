"""Referral links and the referral bonus (issue #25): recorded at registration, refused for self-referrals, loops
and bad links, paid once on the invitee's first approved sale, capped per referrer and period."""

from contextlib import contextmanager
from datetime import datetime

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from portal.auth import registration
from portal.auth.models import MANAGER
from portal.claims import services as claims
from portal.core.errors import DomainError
from portal.core.time import frozen_time
from portal.ledger import services as ledger
from portal.ledger.descriptions import describe
from portal.ledger.models import LedgerTransaction
from portal.notifications import kinds
from portal.notifications.models import Notification
from portal.referrals import services
from portal.referrals.models import BONUS_OFF, CAP_REACHED, NOT_PAID, PAID, WAITING, Referral, bonus_key
from tests.referrals.helpers import NOW, approved_sale, invite, setup_program, submitted_sale, with_own_phone


@pytest.fixture
def manager(make):
    return make.user(role=MANAGER)


@pytest.fixture
def anna(make):
    return with_own_phone(make.user(full_name="Орлова Анна"))


@pytest.fixture
def boris(make):
    return with_own_phone(make.user(full_name="Борисов Борис"))


@pytest.fixture
def vera(make):
    return with_own_phone(make.user(full_name="Верина Вера"))


@contextmanager
def refused(message):
    with pytest.raises(services.ReferralRefused) as caught:
        yield
    assert caught.value.message is message


# --- links ---------------------------------------------------------------------------------------------------------


def test_a_participant_has_one_link_and_a_new_one_disables_the_old(db, anna):
    first = services.link_of(anna)
    assert services.link_of(anna).id == first.id
    renewed = services.renew_link(anna)
    assert renewed.code != first.code
    assert services.find_code(first.code) is None
    assert services.find_code(renewed.code).user_id == anna.id


def test_only_an_active_participant_has_a_link(db, make, manager):
    with pytest.raises(DomainError, match="только активные участники"):
        services.link_of(manager)


# --- recording ----------------------------------------------------------------------------------------------------


def test_registering_through_the_link_records_the_referral(db, anna, boris):
    assert registration.referral_note(services.link_of(anna).code, boris) is None
    referral = db.session.scalar(select(Referral).where(Referral.invitee_id == boris.id))
    assert (referral.referrer_id, referral.status) == (anna.id, WAITING)


@pytest.mark.parametrize("how", ["unknown", "disabled", "referrer deactivated"])
def test_a_bad_link_records_nothing_and_says_so(db, anna, boris, how):
    code = services.link_of(anna).code
    if how == "unknown":
        code = "no-such-code"
    elif how == "disabled":
        services.renew_link(anna)
    else:
        anna.active = False
    note = registration.referral_note(code, boris)
    assert note is (services.REFERRER_LEFT if how == "referrer deactivated" else services.LINK_NOT_VALID)
    assert registration.referral_note(code) == note  # the same answer before the account exists
    assert db.session.scalar(select(func.count(Referral.id))) == 0


def test_a_self_referral_by_phone_or_own_account_is_refused(db, anna, boris):
    code = services.link_of(anna).code
    with refused(services.OWN_LINK):
        services.record_referral(code, anna)
    boris.phone = anna.phone
    with refused(services.OWN_LINK):
        services.record_referral(code, boris)
    assert registration.referral_note(code, boris) is services.OWN_LINK
    assert db.session.scalar(select(func.count(Referral.id))) == 0


def test_a_loop_is_refused(db, anna, boris, vera):
    invite(anna, boris)
    invite(boris, vera)
    with refused(services.LOOP):
        invite(vera, anna)  # vera is anna's invitee's invitee: anna cannot join through vera
    with refused(services.LOOP):
        invite(boris, anna)


def test_a_person_has_one_referrer(db, anna, boris, vera):
    invite(anna, boris)
    with refused(services.HAS_REFERRER):
        invite(vera, boris)


def test_the_database_refuses_a_referral_to_oneself(db, anna):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(Referral(referrer_id=anna.id, invitee_id=anna.id))


# --- the bonus ----------------------------------------------------------------------------------------------------


def test_the_first_approved_sale_pays_the_referrer_once(db, anna, boris, manager):
    setup_program(points=700)
    invite(anna, boris)
    first = approved_sale(boris, manager)
    referral = db.session.scalar(select(Referral).where(Referral.invitee_id == boris.id))
    assert (referral.status, referral.bonus_points, referral.first_claim_id) == (PAID, 700, first.id)
    assert ledger.balance_of(anna.id) == 700
    transaction = ledger.find_transaction(bonus_key(boris.id))
    assert transaction.id == referral.transaction_id
    assert "Борисов Борис" in describe(transaction)
    approved_sale(boris, manager, at=datetime(2026, 3, 12, 9, 0))
    assert ledger.balance_of(anna.id) == 700
    assert db.session.scalar(select(func.count(LedgerTransaction.id))
                             .where(LedgerTransaction.source_type == "referral")) == 1
    said = db.session.scalars(select(Notification.kind).where(Notification.user_id == anna.id)).all()
    assert kinds.REFERRAL_PAID in said


def test_a_sale_only_submitted_or_rejected_pays_nothing(db, anna, boris, manager):
    setup_program()
    invite(anna, boris)
    with frozen_time(NOW):
        claims.reject_claim(submitted_sale(boris), manager, "Не тот счёт")
        submitted_sale(boris)
    assert ledger.balance_of(anna.id) == 0
    assert db.session.scalar(select(Referral.status)) == WAITING


def test_a_sale_without_a_referral_pays_nobody(db, anna, manager):
    setup_program()
    approved_sale(anna, manager)
    assert db.session.scalar(select(func.count(LedgerTransaction.id))
                             .where(LedgerTransaction.source_type == "referral")) == 0


def test_a_reversal_of_the_first_sale_keeps_the_bonus_and_the_next_sale_pays_nothing(db, anna, boris, manager):
    setup_program(points=700)
    invite(anna, boris)
    first = approved_sale(boris, manager)
    with frozen_time(NOW):
        claims.reverse_claim(first, manager, "Возврат")
    approved_sale(boris, manager, at=datetime(2026, 3, 15, 9, 0))
    assert ledger.balance_of(anna.id) == 700
    assert db.session.scalar(select(Referral.status)) == PAID


@pytest.mark.parametrize(("period", "later", "paid_later"), [
    ("month", datetime(2026, 3, 31, 20, 0), False),  # 23:00 in Moscow: still March
    ("month", datetime(2026, 3, 31, 21, 0), True),  # 00:00 on 1 April in Moscow: a new month
    ("quarter", datetime(2026, 3, 31, 21, 0), True),  # April opens the second quarter
    ("quarter", datetime(2026, 3, 25, 9, 0), False),
    ("year", datetime(2026, 12, 1, 9, 0), False),
])
def test_the_cap_counts_bonuses_per_referrer_and_period(db, make, anna, manager, period, later, paid_later):
    setup_program(points=300, cap=1, period=period)
    first, second = (with_own_phone(make.user()) for _ in range(2))
    invite(anna, first)
    invite(anna, second)
    approved_sale(first, manager, at=NOW)
    approved_sale(second, manager, at=later)
    refs = {r.invitee_id: r for r in db.session.scalars(select(Referral))}
    assert refs[first.id].status == PAID
    assert refs[second.id].status == (PAID if paid_later else NOT_PAID)
    assert refs[second.id].reason == (None if paid_later else CAP_REACHED)
    assert ledger.balance_of(anna.id) == (600 if paid_later else 300)


def test_a_cap_reached_is_recorded_and_told_to_the_referrer(db, make, anna, manager):
    setup_program(points=300, cap=2)
    invitees = [with_own_phone(make.user()) for _ in range(3)]
    for invitee in invitees:
        invite(anna, invitee)
        approved_sale(invitee, manager)
    assert [r.status for r in db.session.scalars(select(Referral).order_by(Referral.id))] == [PAID, PAID, NOT_PAID]
    assert ledger.balance_of(anna.id) == 600
    notification = db.session.scalar(select(Notification).where(Notification.kind == kinds.REFERRAL_NOT_PAID))
    assert notification.user_id == anna.id
    with force_locale("en"):
        assert "the limit of referral bonuses for the period was reached" in kinds.text_of(
            notification.kind, notification.params)


def test_a_bonus_switched_off_is_recorded_as_not_paid(db, anna, boris, manager):
    setup_program(active=False)
    invite(anna, boris)
    approved_sale(boris, manager)
    referral = db.session.scalar(select(Referral))
    assert (referral.status, referral.reason) == (NOT_PAID, BONUS_OFF)
    services.get_referral_settings().active = True
    approved_sale(boris, manager, at=datetime(2026, 3, 20, 9, 0))  # decided once: the second sale changes nothing
    assert ledger.balance_of(anna.id) == 0


@pytest.mark.parametrize(("values", "field"), [
    ({"points": 0}, "points"), ({"points": 2_000_000}, "points"), ({"cap_per_period": 0}, "cap_per_period"),
    ({"cap_period": "week"}, "cap_period"),
])
def test_the_settings_refuse_bad_values(db, manager, values, field):
    arguments = {"active": True, "points": 500, "cap_per_period": 3, "cap_period": "month", **values}
    with pytest.raises(DomainError) as caught:
        services.save_referral_settings(manager, **arguments)
    assert caught.value.field == field


def test_the_settings_are_saved_and_audited(db, manager):
    from portal.audit.models import AuditEntry

    services.save_referral_settings(manager, active=True, points=900, cap_per_period=None, cap_period="year")
    settings = services.get_referral_settings()
    assert (settings.active, settings.points, settings.cap_per_period, settings.cap_period) == (True, 900, None, "year")
    entries = select(func.count(AuditEntry.id)).where(AuditEntry.object_type == "referral_settings")
    assert db.session.scalar(entries) == 1
