"""A rule scoped by audience counts the seller's audience on the invoice date, not the one they have today."""

from datetime import timedelta

from portal.auth.models import MANAGER
from portal.claims import services as claims
from portal.core.time import frozen_time, local_day_start, today
from portal.partners import audiences
from tests.claims import factories as f


def morning(days_ago: int):
    return local_day_start(today() - timedelta(days=days_ago)) + timedelta(hours=9)


def test_audience_rule_reads_the_audience_of_the_invoice_date(db, make):
    manager = make.user(role=MANAGER)
    with frozen_time(morning(20)):
        seller = make.user(audience="specialist")
    f.product()
    f.per_unit_rule(points=100, name="Специалистам", audience="specialist")
    before = f.submitted(seller, number="A-1", invoice_date=today() - timedelta(days=10))
    with frozen_time(morning(5)):
        audiences.change_audience(seller, "manager", manager)
    on_the_day = f.submitted(seller, number="A-2", invoice_date=today() - timedelta(days=5))
    next_day = f.submitted(seller, number="A-4", invoice_date=today() - timedelta(days=4))
    after = f.submitted(seller, number="A-3", invoice_date=today())
    assert claims.approve_claim(before, manager).points == 200  # a specialist on the invoice date
    assert claims.approve_claim(on_the_day, manager).points == 200  # still a specialist on the day of the change
    assert claims.approve_claim(next_day, manager).points == 0  # a manager from the next day
    assert claims.approve_claim(after, manager).points == 0


def test_the_claim_preview_reads_the_audience_of_the_invoice_date(app, client, login, make):
    manager = make.user(role=MANAGER)
    with frozen_time(morning(20)):
        make.user(audience="specialist", email="seller@example.test")
    with app.app_context():
        from portal.auth.models import User
        from portal.extensions import db

        f.product()
        f.per_unit_rule(points=100, name="Специалистам", audience="specialist")
        seller = db.session.get(User, db.session.query(User.id).filter_by(email="seller@example.test").scalar())
        with frozen_time(morning(5)):
            audiences.change_audience(seller, "manager", db.session.get(User, manager.id))
        db.session.commit()
    login("seller@example.test")

    def preview(days_ago: int) -> int:
        response = client.post("/claims/preview", data={
            "invoice_date": (today() - timedelta(days=days_ago)).isoformat(),
            "lines-0-product": "SPL-09", "lines-0-quantity": "2", "lines-0-price": "49000",
        })
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["total"]

    assert preview(10) == 200
    assert preview(5) == 200  # the day of the change still counts for the old audience
    assert preview(4) == 0
    assert preview(0) == 0
