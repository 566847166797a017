"""The scale builder (bench/scale.py) at a tiny size, so that it keeps up with the schema: what it writes in bulk
must be a ledger the consistency check accepts, and the services must go on posting after it."""

from sqlalchemy import func, select

from bench.scale import MOST_ACTIVE_EMAIL, build, sizes
from portal.auth.models import User
from portal.claims.models import Claim
from portal.ledger import services as ledger
from portal.ledger.models import LedgerEntry
from portal.ledger.reports import check_ledger


def test_a_small_program_passes_check_ledger_and_takes_new_postings(app, db):
    size = sizes(200)
    counts = build(app, size, log=lambda *args: None)
    assert abs(counts["entries"] - size["entries"]) < size["entries"] // 100
    assert db.session.scalar(select(func.count(LedgerEntry.id))) == counts["entries"]
    assert db.session.scalar(select(func.count(Claim.id))) == size["claims"]
    assert check_ledger() == []

    most_active = db.session.scalar(select(User).where(User.email == MOST_ACTIVE_EMAIL))
    before = ledger.balance_of(most_active.id)
    ledger.earn(most_active.id, 10, key="after-build", source_type="sale", source_id=1)
    ledger.spend(most_active.id, before, key="after-build-spend", source_type="order", source_id=1)
    db.session.commit()
    assert ledger.balance_of(most_active.id) == 10
    assert check_ledger() == []


def test_the_page_of_the_most_active_participant_opens(app):
    build(app, sizes(200), log=lambda *args: None)
    client = app.test_client()
    client.post("/login", data={"email": MOST_ACTIVE_EMAIL, "password": "bench12345"})
    for path in ("/home", "/points", "/claims"):
        assert client.get(path).status_code == 200, path


def test_the_kpi_plan_of_a_small_program_fills_the_managers_pages(app):
    from bench.scale import MANAGER_EMAIL
    from bench.scale_kpi import add_kpi_plan
    from portal.extensions import db
    from portal.kpi.models import PROGRAM, KpiCounter

    build(app, sizes(200), log=lambda *args: None)
    added = add_kpi_plan(app, groups=2, log=lambda *args: None)
    assert added["stages"] >= 12
    with app.app_context():
        sales = db.session.scalar(select(func.sum(KpiCounter.sales_amount)).where(KpiCounter.scope_kind == PROGRAM))
        db.session.remove()
    client = app.test_client()
    client.post("/login", data={"email": MANAGER_EMAIL, "password": "bench12345"})
    for path in ("/home", "/kpi", "/kpi/budget"):
        assert client.get(path).status_code == 200, path
    assert sales > 0  # the approved claims, counted in the stages of their invoice dates
