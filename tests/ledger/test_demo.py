"""The demo's points history is posted as the portal would have posted it: in the order of its moments."""

import random
from datetime import timedelta

from sqlalchemy import select

from portal.auth.models import MANAGER
from portal.core.time import utcnow
from portal.ledger import demo
from portal.ledger.models import LedgerTransaction
from tests.ledger.helpers import assert_ledger_consistent


def test_the_demo_history_is_posted_in_time_order_across_people(db, make):
    make.user(role=MANAGER)  # the demo's credits are a manager's adjustments with their reasons
    for n in range(6):
        person = make.user(email="seller@demo.test" if n == 0 else None)
        person.created_at = utcnow() - timedelta(days=450)
    db.session.flush()
    demo.load(random.Random(7))
    moments = db.session.scalars(select(LedgerTransaction.created_at).order_by(LedgerTransaction.id)).all()
    assert len(moments) > 20
    assert moments == sorted(moments)
    assert_ledger_consistent()
