"""Closed KPI stages: a sale approved after closing shows as "changed since closing" with the difference per KPI;
the recalculation log reads in people's words and roubles; two managers recalculating at once get one
recalculation and a clear message, never a 500."""

import re
import threading
from datetime import date, datetime

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from portal.auth.models import MANAGER
from portal.core.errors import DomainError
from portal.core.time import frozen_time
from portal.extensions import db as _db
from portal.kpi import stages
from portal.kpi.models import KpiStage, KpiStageLog
from tests.claims import factories as f
from tests.plans.helpers import approved_sale


def _closed_may(make):
    """April-June 2026 stages, April and May closed on 2 June; then a sale dated 20 May is approved on 20 June."""
    stages.add_months(2026, 4, 6)
    boss = make.user(role=MANAGER, email="boss@example.test")
    seller = make.user(company=make.company())
    seller.created_at = datetime(2026, 3, 1)  # registered before the first stage: the shares' one person
    f.product()
    with frozen_time(datetime(2026, 6, 2)):
        assert stages.close_due_stages() == 2
    approved_sale(seller, boss, date(2026, 5, 20), lines=[("SPL-09", 3, 1_450_000_00)])
    _db.session.flush()
    return boss, stages.all_stages()[1]


def test_a_sale_approved_after_closing_shows_as_drift_per_kpi(db, make):
    _boss, may = _closed_may(make)
    drift = {(d.stage.id, d.code): (d.stored, d.live) for d in stages.closed_stage_drift()}
    assert drift[(may.id, "claims_approved")] == (0, 1)
    assert drift[(may.id, "sales_amount")] == (0, 435_000_000)
    assert drift[(may.id, "units")] == (0, 3)
    assert drift[(may.id, "active")] == (0, 1)  # the seller's first sale
    assert not [d for d in stages.closed_stage_drift() if d.stage.id != may.id]  # April did not change
    assert stages.closed_stage_drift(stages.all_stages()[0]) == []


def test_the_stage_pages_say_changed_since_closing_with_the_difference(app, client, login, make):
    with app.app_context():
        _boss, may = _closed_may(make)
        may_id = may.id
        _db.session.commit()
    login("boss@example.test")
    listing = client.get("/kpi/stages").get_data(as_text=True)
    assert "Изменился после закрытия" in listing
    assert "Одобрено продаж: 0 → 1" in listing
    page = client.get(f"/kpi/stages/{may_id}").get_data(as_text=True)
    assert "Изменился после закрытия" in page
    assert re.search(r"Сумма продаж.*?0,00\xa0₽.*?4\xa0350\xa0000,00\xa0₽", page, re.S)
    assert 'name="seen"' in page  # the recalculation form is on the stage's page too
    response = client.post(f"/kpi/stages/{may_id}/recalculate", data={"reason": "продажа одобрена поздно",
                                                                      "seen": _last_log(app, may_id)})
    assert response.status_code == 302
    listing = client.get("/kpi/stages").get_data(as_text=True)
    assert "Изменился после закрытия" not in listing
    assert "Сумма продаж: 0,00\xa0₽ → 4\xa0350\xa0000,00\xa0₽" in listing  # the log in people's words
    assert "sales_amount" not in listing


def _last_log(app, stage_id):
    with app.app_context():
        return _db.session.scalar(select(func.max(KpiStageLog.id)).where(KpiStageLog.stage_id == stage_id))


@pytest.mark.parametrize(("locale", "changes", "expected"), [
    ("ru", {"sales_amount": [2779365900, 2783718300]},
     "Сумма продаж: 27\xa0793\xa0659,00\xa0₽ → 27\xa0837\xa0183,00\xa0₽"),
    ("en", {"sales_amount": [2779365900, 2783718300]}, "Sales amount: RUB\xa027,793,659.00 → RUB\xa027,837,183.00"),
    ("ru", {"units": [1500, 12500]}, "Продано единиц: 1\xa0500 → 12\xa0500"),
    ("en", {"units": [1500, 12500]}, "Units sold: 1,500 → 12,500"),
    ("en", {"new_active": [3, 4, 12, 12]}, "Actively registering sales: 25% (3) → 33.3% (4)"),
    ("ru", {"new_active": [3, 4, 12, 12]}, "Активно регистрируют продажи: 25\xa0% (3) → 33,3\xa0% (4)"),
    ("en", {"points_redeemed": [10, 20]}, "Points redeemed: 10 → 20"),
    ("en", {"mystery": [1, 2]}, "mystery: 1 → 2"),
])
def test_recalculation_changes_read_in_the_readers_language(db, locale, changes, expected):
    with force_locale(locale):
        assert stages.describe_changes(changes) == [expected]


def test_a_recalculation_stores_shares_with_their_denominator(db, make):
    boss, may = _closed_may(make)
    changes = stages.recalculate_stage(may, "поздняя продажа", boss)
    assert changes["new_active"] == [0, 1, 1, 1]  # one of one registered
    with force_locale("en"):
        assert "Actively registering sales: 0% (0) → 100% (1)" in stages.describe_changes(changes)
    assert stages.closed_stage_drift() == []


def test_two_managers_recalculating_at_once_give_one_recalculation(app, make):
    with app.app_context(), app.test_request_context():
        boss, may = _closed_may(make)
        other = make.user(role=MANAGER)
        ids = {"may": may.id, "people": [boss.id, other.id]}
        seen = _db.session.scalar(select(func.max(KpiStageLog.id)).where(KpiStageLog.stage_id == may.id))
        _db.session.commit()
    barrier = threading.Barrier(2)
    done, refused, errors = [], [], []

    def run(person_id):
        from portal.auth.models import User

        with app.app_context(), app.test_request_context():
            try:
                stage = _db.session.get(KpiStage, ids["may"])
                actor = _db.session.get(User, person_id)
                barrier.wait(timeout=10)
                try:
                    done.append(stages.recalculate_stage(stage, "поздняя продажа", actor, seen=seen))
                    _db.session.commit()
                except DomainError as error:
                    _db.session.rollback()
                    refused.append(str(error))
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run, args=(person,)) for person in ids["people"]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(done) == 1 and len(refused) == 1
    assert "recalculated" in refused[0] or "пересчитал" in refused[0]
    with app.app_context():
        assert _db.session.scalar(select(func.count(KpiStageLog.id)).where(
            KpiStageLog.action == "recalculated")) == 1


def test_a_stale_recalculation_from_the_page_is_refused_with_a_message(app, client, login, make):
    with app.app_context():
        _boss, may = _closed_may(make)
        may_id = may.id
        _db.session.commit()
    seen = _last_log(app, may_id)
    login("boss@example.test")
    assert client.post(f"/kpi/stages/{may_id}/recalculate", data={"reason": "раз", "seen": seen}).status_code == 302
    response = client.post(f"/kpi/stages/{may_id}/recalculate", data={"reason": "два", "seen": seen},
                           follow_redirects=True)
    assert response.status_code == 200
    assert "уже пересчитал" in response.get_data(as_text=True)
    assert client.post(f"/kpi/stages/{may_id}/recalculate", data={"reason": "три", "seen": "abc"},
                       follow_redirects=True).status_code == 200
    with app.app_context():
        assert _db.session.scalar(select(func.count(KpiStageLog.id)).where(
            KpiStageLog.action == "recalculated")) == 1
