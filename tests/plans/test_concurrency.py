"""Parallel approvals of one person's sales both count in the monthly actuals, on both databases."""

import threading
from datetime import date

from sqlalchemy import select

from portal.auth.models import MANAGER, User
from portal.claims import services as claims
from portal.claims.models import Claim
from portal.core.time import frozen_time
from portal.extensions import db
from portal.plans import actuals
from portal.plans.models import PlanActual
from tests.claims import factories as f
from tests.plans.helpers import NOW

PARALLEL = 6


def test_parallel_approvals_of_one_persons_sales_all_count(app, make):
    seller = make.user()
    managers = [make.user(role=MANAGER) for _ in range(PARALLEL)]
    with app.app_context(), frozen_time(NOW):
        f.product()
        person = db.session.get(User, seller.id)
        claim_ids = [f.submitted(person, number=f"PAR-{i}", invoice_date=date(2026, 6, 10)).id
                     for i in range(PARALLEL)]
        db.session.commit()
    barrier = threading.Barrier(PARALLEL)
    errors = []

    def approve(claim_id, manager_id):
        with app.app_context(), frozen_time(NOW):
            try:
                barrier.wait(timeout=10)
                claims.approve_claim(db.session.get(Claim, claim_id), db.session.get(User, manager_id))
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - any failure is the test's finding
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=approve, args=(c, m.id)) for c, m in zip(claim_ids, managers, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with app.app_context():
        row = db.session.scalar(select(PlanActual).where(PlanActual.user_id == seller.id))
        assert row.approved_claims == PARALLEL and row.units == 2 * PARALLEL
        assert actuals.recompute_actuals(fix=False) == []
