"""A participant sees the bell's count, reads their notifications, marks them all read and sets their mail;
both languages."""

from playwright.sync_api import expect
from sqlalchemy import select

from portal.auth.models import MANAGER, User
from portal.claims import notifications as claim_mail
from portal.claims import services as claims
from portal.extensions import db
from portal.notifications import services
from portal.program.services import get_settings
from tests.claims import factories as cf
from tests.e2e.test_accounts import log_in


def seed(app, person_id):
    with app.app_context(), app.test_request_context():
        person = db.session.get(User, person_id)
        reviewer = db.session.scalar(select(User).where(User.role == MANAGER))
        get_settings().first_sale_bonus = 0
        cf.product()
        cf.per_unit_rule(points=350)
        claim = cf.submitted(person, number="УПД-5")
        claims.approve_claim(claim, reviewer)
        claim_mail.send_decision(claim)  # the decision and the points credited: two notifications
        services.notify(person, "contest_started", {"title": "Весенний спринт"}, "/contests/")
        db.session.commit()


def test_bell_page_mark_all_read_and_mail_settings(app, live_server, page, make, shot):
    seller = make.user(email="seller@example.test", full_name="Соколова Анна")
    make.user(role="manager", email="manager@example.test")
    seed(app, seller.id)

    log_in(page, live_server, "seller@example.test")
    expect(page.get_by_test_id("bell-count")).to_have_text("3")
    page.get_by_test_id("bell").click()
    expect(page.locator("h1")).to_have_text("Уведомления")
    items = page.get_by_test_id("notifications")
    expect(items).to_contain_text("Ваша продажа №1 одобрена: 700 баллов.")
    expect(items).to_contain_text("На ваш счёт начислено баллов: 700.")
    expect(items).to_contain_text("Конкурс «Весенний спринт» начался.")
    shot(page, "notifications-ru")
    page.get_by_role("button", name="Отметить все прочитанными").click()
    expect(page.locator(".alert-success")).to_contain_text("Отмечено прочитанными: 3.")
    expect(page.get_by_test_id("bell-count")).to_have_count(0)

    page.get_by_test_id("language-switch").click()
    expect(page.locator("h1")).to_have_text("Notifications")
    expect(items).to_contain_text("Your sale #1 was approved: 700 points.")
    page.get_by_role("link", name="Mail settings").click()
    page.get_by_label("Contests: start and results").uncheck()
    page.get_by_role("button", name="Save mail settings").click()
    expect(page.locator(".alert-success")).to_contain_text("Your mail settings are saved.")
    expect(page.get_by_label("Contests: start and results")).not_to_be_checked()
    expect(page.get_by_label("Decisions and points: sales, points, orders")).to_be_checked()
    shot(page, "mail-settings-en")


def test_manager_writes_news_and_a_participant_reads_it(live_server, page, new_page, make, shot):
    make.user(email="seller@example.test", full_name="Соколова Анна")
    make.user(role="manager", email="manager@example.test", full_name="Белов Кирилл")

    manager = new_page()
    log_in(manager, live_server, "manager@example.test")
    manager.goto(f"{live_server}/news/new")
    manager.get_by_label("Название", exact=True).fill("Акция недели")
    manager.get_by_label("Текст", exact=True).fill("<p>Двойные баллы</p><script>alert(1)</script>")
    manager.get_by_role("button", name="Сохранить").click()
    expect(manager.locator(".invalid-feedback").first).to_contain_text("В тексте есть скрипт")
    manager.get_by_label("Текст", exact=True).fill("<p>Двойные баллы за <strong>сплит-системы</strong></p>")
    manager.get_by_label("Название на английском").fill("Deal of the week")
    manager.get_by_label("Закрепить сверху (вместо закреплённой сейчас)").check()
    manager.get_by_role("button", name="Сохранить").click()
    expect(manager.locator(".alert-success")).to_contain_text("Новость сохранена.")
    shot(manager, "news-saved")

    log_in(page, live_server, "seller@example.test")
    expect(page.get_by_test_id("bell-count")).to_have_text("1")
    card = page.get_by_test_id("home-news")
    expect(card).to_contain_text("Акция недели")
    card.get_by_role("link", name="Акция недели").click()
    expect(page.get_by_test_id("news-body")).to_contain_text("Двойные баллы за сплит-системы")
    page.get_by_test_id("language-switch").click()
    expect(page.locator("h1")).to_have_text("Deal of the week")
    shot(page, "news-en")
