"""`portal check` on referral bonuses: clean on a consistent program, and a finding for a planted drift."""

import pytest
from flask_babel import force_locale
from sqlalchemy import update

from portal.auth.models import MANAGER
from portal.checks import sources
from portal.checks.runner import checks
from portal.ledger import services as ledger
from portal.referrals.checks import referral_bonus_drift
from portal.referrals.models import Referral
from tests.referrals.helpers import approved_sale, invite, setup_program, with_own_phone


def said(findings) -> list[str]:
    with force_locale("en"):
        return [str(finding) for finding in findings]


@pytest.fixture
def paid(db, make):
    manager = make.user(role=MANAGER)
    anna, boris = with_own_phone(make.user(full_name="Орлова Анна")), with_own_phone(make.user())
    setup_program(points=700)
    referral = invite(anna, boris)
    approved_sale(boris, manager)
    return referral


def test_the_check_is_registered():
    assert referral_bonus_drift in [check.run for check in checks()]


def test_a_paid_referral_with_its_transaction_is_clean(paid):
    assert referral_bonus_drift() == []
    assert sources.unjustified_credits() == []


def test_a_paid_referral_whose_points_drifted_is_reported(db, paid):
    db.session.execute(update(Referral).where(Referral.id == paid.id).values(bonus_points=900))
    assert said(referral_bonus_drift()) == [
        f"Referral #{paid.id} paid 900 points, but its ledger transaction #{paid.transaction_id} credits the "
        f"referrer 700."]


def test_a_paid_referral_naming_another_transaction_is_reported(db, paid, make):
    other = ledger.earn(paid.referrer_id, 5, key="other", source_type="claim", source_id=1)
    db.session.execute(update(Referral).where(Referral.id == paid.id).values(transaction_id=other.id))
    findings = said(referral_bonus_drift())
    assert f"Referral #{paid.id} is paid, but the ledger holds no referral bonus with its key " \
           f"referral:{paid.invitee_id}." in findings
    assert any("pays a referral bonus no paid referral names" in f for f in findings)


def test_a_referral_bonus_without_a_paid_referral_is_reported(db, make):
    anna = make.user(full_name="Орлова Анна")
    transaction = ledger.earn(anna.id, 700, key="referral:999", source_type="referral", source_id=12345)
    assert said(referral_bonus_drift()) == [
        f"Ledger transaction #{transaction.id} (referral:999) pays a referral bonus no paid referral names."]
    assert said(sources.unjustified_credits()) == [
        f"Орлова Анна was credited 700 points (transaction #{transaction.id}), but referral #12345 is not a paid "
        f"referral of this person."]
