"""Report mails give the day's or week's own figures by the program's calendar (and the stage to the period's
end beside them); the budget warns when the whole fund will not cover the points, and forecasts from the recent
run rate."""

from datetime import date, datetime

from flask_babel import force_locale
from sqlalchemy import select

from portal.auth.models import MANAGER
from portal.claims import services as claims
from portal.core.time import frozen_time
from portal.extensions import db as _db
from portal.kpi import budget, reports, stages
from portal.ledger import services as ledger
from portal.ops.models import OutboxMessage
from tests.claims import factories as f

PRICE = 1_000_000  # 10 000 RUB a unit


def _sale(seller, boss, number: str, approved_at: datetime, quantity: int = 1):
    with frozen_time(datetime(2026, 12, 1, 12)):
        claim = f.submitted(seller, number=number, invoice_date=date(2026, 12, 1),
                            lines=[claims.LineData("SPL-09", quantity, PRICE)])
    with frozen_time(approved_at):
        claims.approve_claim(claim, boss)
    return claim


def _december(make):
    """December 2026 as a stage; four sales dated 1 December, approved around midnight of 6/7 December in Moscow."""
    stages.add_months(2026, 12, 12)
    boss = make.user(role=MANAGER, email="boss@example.test")
    seller = make.user(company=make.company())
    f.product()
    _sale(seller, boss, "D-1", datetime(2026, 12, 5, 21, 30))  # 6 December, 00:30 in Moscow
    _sale(seller, boss, "D-2", datetime(2026, 12, 6, 10, 0), quantity=2)
    _sale(seller, boss, "D-3", datetime(2026, 12, 6, 22, 0), quantity=4)  # 7 December, 01:00 in Moscow
    _sale(seller, boss, "D-4", datetime(2026, 12, 7, 6, 0), quantity=8)  # the morning the report is sent
    return boss


def test_the_days_own_figures_count_what_was_approved_that_day_in_moscow(db, make):
    _december(make)
    day = reports.period_figures(date(2026, 12, 6), date(2026, 12, 6))
    assert day["claims_approved"] == 2
    assert day["units"] == 3
    assert day["sales_amount"] == 3 * PRICE
    to_date = reports.stage_to_date_figures(date(2026, 12, 1), date(2026, 12, 6))
    assert to_date["claims_approved"] == 2  # not the sales approved on the 7th
    week = reports.period_figures(date(2026, 11, 30), date(2026, 12, 6))
    assert week["units"] == 3
    assert reports.period_figures(date(2026, 12, 7), date(2026, 12, 7))["units"] == 12


def test_a_reversal_counts_on_the_day_it_was_made(db, make):
    boss = _december(make)
    claim = _sale(make.user(company=make.company()), boss, "D-5", datetime(2026, 12, 6, 12, 0), quantity=16)
    with frozen_time(datetime(2026, 12, 8, 9)):
        claims.reverse_claim(claim, boss, "возврат")
    assert reports.period_figures(date(2026, 12, 6), date(2026, 12, 6))["units"] == 19
    assert reports.stage_to_date_figures(date(2026, 12, 1), date(2026, 12, 6))["units"] == 19
    assert reports.period_figures(date(2026, 12, 8), date(2026, 12, 8))["units"] == -16


def test_the_daily_mail_for_6_december_gives_that_days_figures(app, make):
    with app.app_context(), app.test_request_context():
        boss = _december(make)
        reports.set_subscriptions(boss, {"daily"})
        _db.session.commit()
        with frozen_time(datetime(2026, 12, 7, 7)), force_locale("ru"):
            assert reports.send_due_reports(kinds=("daily",)) == 1
        body = _db.session.scalar(select(OutboxMessage.body))
    assert "Одобрено продаж: за период 2; этап на конец периода 2" in body
    assert "Продано единиц: за период 3; этап на конец периода 3" in body
    assert "Сумма продаж: за период 30\xa0000,00\xa0₽" in body


def _points(person, points: int, when: datetime, key: str):
    with frozen_time(when):
        ledger.earn(person.id, points, key=key, source_type="manual")


def test_the_budget_warns_when_the_whole_fund_will_not_cover_the_points(app, client, login, make):
    with app.app_context():
        all_stages = stages.add_months(2026, 4, 12)
        for stage in all_stages:
            stage.budget_kopecks = 1_750_000_00 // 9
        person = make.user(company=make.company())
        make.user(role=MANAGER, email="boss@example.test")
        _points(person, 1_990_000, datetime(2026, 4, 10, 9), "a")
        _db.session.commit()
        with frozen_time(datetime(2026, 12, 7, 9)):
            view = budget.budget_view(date(2026, 12, 7))
        assert view.liability == 1_990_000_00
        assert view.over_fund and view.over_fund_now
    login("boss@example.test")
    with frozen_time(datetime(2026, 12, 7, 9)):
        page = client.get("/kpi/budget").get_data(as_text=True)
    assert 'data-testid="fund-warning"' in page
    assert "1\xa0990\xa0000,00\xa0₽" in page


def test_the_forecast_uses_the_last_30_days_run_rate(db, make):
    stages.add_months(2026, 4, 12)
    person = make.user(company=make.company())
    _points(person, 300_000, datetime(2026, 4, 10, 9), "april")
    _points(person, 20_000, datetime(2026, 11, 7, 22), "8 november in Moscow: inside the 30 days")
    _points(person, 10_000, datetime(2026, 12, 7, 8), "today")
    _points(person, 99_000, datetime(2026, 11, 7, 20), "7 november in Moscow: outside")
    with frozen_time(datetime(2026, 12, 7, 9)):
        view = budget.budget_view(date(2026, 12, 7))
    assert view.forecast["rate_days"] == 30
    assert view.forecast["rate_from"] == date(2026, 11, 8)
    assert view.forecast["rate"] == 1000.0  # 30 000 points in 30 days, not the average since April
    assert view.forecast["remaining_days"] == 24
    assert view.forecast["future_issued"] == 24_000
    assert not view.over_fund  # no fund set: nothing to compare with


def test_a_young_program_takes_the_run_rate_of_its_days_so_far(db, make):
    stages.add_months(2026, 12, 12)
    person = make.user(company=make.company())
    _points(person, 7_000, datetime(2026, 12, 3, 9), "december")
    with frozen_time(datetime(2026, 12, 7, 9)):
        view = budget.budget_view(date(2026, 12, 7))
    assert view.forecast["rate_days"] == 7
    assert view.forecast["rate"] == 1000.0


def test_the_budget_table_adds_up_to_the_figures_of_its_warnings(app, client, login, make):
    """Points that moved before the first stage are in the table's total (and named), so the redeemed amount of
    the warning is the one at the foot of the table."""
    with app.app_context():
        for stage in stages.add_months(2026, 4, 12):
            stage.budget_kopecks = 10_000_00
        person = make.user(company=make.company())
        make.user(role=MANAGER, email="boss@example.test")
        _points(person, 50_000, datetime(2026, 3, 10, 9), "before")  # before the first stage
        _points(person, 30_000, datetime(2026, 5, 10, 9), "may")
        _db.session.commit()
        view = budget.budget_view(date(2026, 12, 7))
        assert view.outside.issued == 50_000 and view.total.issued == 80_000
        assert view.total.redeemed_value == view.redeemed_value
    login("boss@example.test")
    with frozen_time(datetime(2026, 12, 7, 9)):
        page = client.get("/kpi/budget").get_data(as_text=True)
    foot = page.split('data-testid="budget-total"')[1].split("</tr>")[0]
    assert "80\xa0000" in foot and 'data-testid="budget-outside"' in page
    assert "Начислено, баллов" in page and "«!»" in page.split('data-testid="budget-legend"')[1]
