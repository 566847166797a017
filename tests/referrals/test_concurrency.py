"""Many approvals at once (issue #25, "points are money"): the referral bonus is paid exactly once per invitee, and
the referrer's cap holds, on SQLite and PostgreSQL alike."""

import threading

import pytest
from sqlalchemy import func, select

from portal.auth.models import MANAGER, User
from portal.claims import services as claims
from portal.claims.models import Claim
from portal.core.errors import DomainError
from portal.core.time import frozen_time
from portal.extensions import db
from portal.ledger import services as ledger
from portal.ledger.models import LedgerTransaction
from portal.referrals.models import NOT_PAID, PAID, Referral
from tests.ledger.helpers import assert_ledger_consistent
from tests.referrals.helpers import NOW, invite, setup_program, submitted_sale, with_own_phone


def _approve_all_at_once(app, claim_ids, manager_ids):
    barrier = threading.Barrier(len(claim_ids))
    outcomes = []

    def approve(claim_id, manager_id):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                with frozen_time(NOW):
                    claims.approve_claim(db.session.get(Claim, claim_id), db.session.get(User, manager_id))
                db.session.commit()
                outcomes.append("approved")
            except DomainError:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=approve, args=pair) for pair in zip(claim_ids, manager_ids, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_many_approvals_of_the_invitees_sales_at_once_pay_once(app, make):
    count = 8
    managers = [make.user(role=MANAGER) for _ in range(count)]
    referrer, invitee = make.user(), make.user()
    with app.app_context():
        setup_program(points=700)
        referrer_user, invitee_user = (with_own_phone(db.session.get(User, u.id)) for u in (referrer, invitee))
        invite(referrer_user, invitee_user)
        with frozen_time(NOW):
            claim_ids = [submitted_sale(invitee_user, days_ago=1 + i).id for i in range(count)]
        db.session.commit()
        db.session.remove()
    outcomes = _approve_all_at_once(app, claim_ids, [m.id for m in managers])
    assert outcomes == ["approved"] * count
    with app.app_context():
        assert ledger.balance_of(referrer.id) == 700
        assert db.session.scalar(select(func.count(LedgerTransaction.id))
                                 .where(LedgerTransaction.source_type == "referral")) == 1
        referral = db.session.scalar(select(Referral))
        assert referral.status == PAID and referral.first_claim_id in claim_ids
        assert_ledger_consistent()


@pytest.mark.parametrize("sales_earn", [True, False], ids=["sales earn points", "sales earn nothing"])
def test_many_first_sales_of_one_referrers_invitees_at_once_respect_the_cap(app, make, sales_earn):
    count = 6
    managers = [make.user(role=MANAGER) for _ in range(count)]
    referrer = make.user()
    invitees = [make.user() for _ in range(count)]
    with app.app_context():
        setup_program(points=300, cap=2, sales_earn=sales_earn)
        referrer_user = with_own_phone(db.session.get(User, referrer.id))
        claim_ids = []
        for person in invitees:
            person = with_own_phone(db.session.get(User, person.id))
            invite(referrer_user, person)
            with frozen_time(NOW):
                claim_ids.append(submitted_sale(person).id)
        db.session.commit()
        db.session.remove()
    outcomes = _approve_all_at_once(app, claim_ids, [m.id for m in managers])
    assert outcomes == ["approved"] * count
    with app.app_context():
        states = sorted(db.session.scalars(select(Referral.status)))
        assert states == sorted([PAID] * 2 + [NOT_PAID] * (count - 2))
        assert ledger.balance_of(referrer.id) == 600
        assert_ledger_consistent()


def test_the_referrers_own_approvals_and_the_invitees_first_sale_at_once_never_deadlock(app, make):
    """The invitee's approval pays the referrer: it takes the referrer's accounts before its own (claim_approving),
    so it never holds the ledger while waiting for a referrer whose own approval waits for the ledger."""
    count = 4
    managers = [make.user(role=MANAGER) for _ in range(2 * count)]
    referrer, invitee = make.user(), make.user()
    with app.app_context():
        setup_program(points=700)
        referrer_user, invitee_user = (with_own_phone(db.session.get(User, u.id)) for u in (referrer, invitee))
        invite(referrer_user, invitee_user)
        with frozen_time(NOW):
            claim_ids = [submitted_sale(person, days_ago=1 + i).id
                         for i in range(count) for person in (referrer_user, invitee_user)]
        db.session.commit()
        db.session.remove()
    outcomes = _approve_all_at_once(app, claim_ids, [m.id for m in managers])
    assert outcomes == ["approved"] * (2 * count)
    with app.app_context():
        assert db.session.scalar(select(Referral.status)) == PAID
        assert ledger.balance_of(referrer.id) == count * 200 + 700
        assert_ledger_consistent()
