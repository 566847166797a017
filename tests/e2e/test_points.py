"""A participant reads their points; a manager corrects them; both languages."""

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from portal.auth.models import MANAGER, User
from portal.claims import services as claims
from portal.core.time import frozen_time, utcnow
from portal.extensions import db
from portal.ledger import services as ledger
from portal.program.services import get_settings
from portal.training import services as training
from tests.claims import factories as cf
from tests.e2e.menus import open_menu
from tests.e2e.test_accounts import log_in
from tests.training import factories as tf


def seed_points(app, person_id):
    """Points as the program credits them: a sale approved about 300 days ago (its points expire in about two
    months), a course passed, a prize bought."""
    with app.app_context(), app.test_request_context():
        person = db.session.get(User, person_id)
        reviewer = db.session.scalar(select(User).where(User.role == MANAGER))
        get_settings().first_sale_bonus = 0  # the statement shows the sale and the course only
        cf.product()
        cf.per_unit_rule(points=350)  # two units: 700 points
        with frozen_time(utcnow() - timedelta(days=300)):
            claims.approve_claim(cf.submitted(person, number="УПД-77"), reviewer)
        quiz = tf.quiz_of(tf.course(title="Монтаж VRF", points=500))
        training.submit_quiz(person, quiz, tf.right_answers(quiz))
        ledger.spend(person_id, 300, key="order", source_type="order", source_id=9)
        db.session.commit()


def test_statement_and_manual_adjustment(app, live_server, page, new_page, make, shot):
    seller = make.user(email="seller@example.test", full_name="Соколова Анна")
    make.user(role="manager", email="manager@example.test", full_name="Белов Кирилл")
    seed_points(app, seller.id)

    log_in(page, live_server, "seller@example.test")
    expect(page.get_by_test_id("dashboard-balance")).to_have_text("900")
    page.get_by_role("link", name="Мои баллы").first.click()
    expect(page.get_by_test_id("balance-available")).to_have_text("900")
    expect(page.get_by_test_id("expiring").first).to_contain_text("400 баллов сгорят")
    statement = page.get_by_test_id("statement")
    expect(statement).to_contain_text("Одобрена продажа № 1, счёт УПД-77")
    expect(statement).to_contain_text("Пройден курс: Монтаж VRF")
    shot(page, "statement-ru")

    manager = new_page()
    log_in(manager, live_server, "manager@example.test")
    manager.goto(f"{live_server}/console/people?q=Соколова")
    manager.get_by_role("link", name="Соколова Анна").click()
    manager.get_by_test_id("person-points").click()
    manager.get_by_label("Списать баллы").check()
    manager.get_by_label("Баллы", exact=True).fill("2000")
    manager.get_by_label("Причина").fill("Возврат товара покупателем")
    manager.get_by_role("button", name="Провести корректировку").click()
    expect(manager.locator(".invalid-feedback")).to_contain_text("Недостаточно баллов: доступно 900, нужно 2000.")
    expect(manager.get_by_label("Причина")).to_have_value("Возврат товара покупателем")
    manager.get_by_label("Баллы", exact=True).fill("100")
    manager.get_by_role("button", name="Провести корректировку").click()
    expect(manager.locator(".alert-success")).to_contain_text("Корректировка проведена: 100 баллов. Списано.")
    shot(manager, "adjusted")

    page.reload()
    expect(page.get_by_test_id("balance-available")).to_have_text("800")
    expect(page.get_by_test_id("statement")).to_contain_text("Корректировка, Белов Кирилл: Возврат товара покупателем")

    page.get_by_test_id("language-switch").click()
    expect(page.locator("h1")).to_have_text("My points")
    expect(page.get_by_test_id("statement")).to_contain_text("Adjustment by Белов Кирилл: Возврат товара покупателем")
    expect(page.get_by_test_id("expiring").first).to_contain_text("300 points expire on")
    shot(page, "statement-en")
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX").click()
    assert download.value.suggested_filename.endswith(".xlsx")


def test_manager_sees_program_totals(app, live_server, page, make, shot):
    seller = make.user()
    make.user(role="manager", email="manager@example.test")
    seed_points(app, seller.id)
    log_in(page, live_server, "manager@example.test")
    open_menu(page, "Отчёты")  # the console menu groups its pages
    page.get_by_role("link", name="Баллы").first.click()
    expect(page.get_by_test_id("total-issued")).to_have_text("1 200".replace(" ", "\xa0"))
    expect(page.get_by_test_id("total-spent")).to_have_text("300")
    shot(page, "totals")
