"""Referrals in a browser (issue #25): a participant copies her invitation link from the profile, a colleague of
another company registers through it, a manager approves the newcomer's first sale, and the participant sees the
referral bonus on her invitation page and her statement."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from portal.auth.models import User
from portal.core.time import today
from portal.extensions import db
from portal.program.services import get_settings
from portal.referrals import services as referrals
from tests.claims import factories as cf
from tests.e2e.test_accounts import log_in


def test_an_invitee_first_sale_pays_the_referrer(app, live_server, page, new_page, mailbox, make, shot):
    home = make.company(name="ООО «Тёплый дом»")
    other = make.company(name="ООО «Северный климат»")
    make.user(company=home, email="anna@example.test", full_name="Соколова Анна")
    make.user(role="manager", email="manager@example.test", full_name="Белов Кирилл")
    with app.app_context():
        get_settings().first_sale_bonus = 0
        cf.product()
        cf.per_unit_rule(100)
        settings = referrals.get_referral_settings()
        settings.active, settings.points, settings.cap_per_period = True, 700, 5
        db.session.commit()

    # Anna copies her personal link from the page her profile links to.
    log_in(page, live_server, "anna@example.test")
    page.goto(f"{live_server}/profile")
    page.get_by_test_id("invite-colleague-link").click()
    expect(page.get_by_test_id("referral-terms")).to_contain_text("700")
    page.wait_for_load_state("load")  # the copy button's script listens only once the page's scripts have run
    page.get_by_test_id("copy-referral-link").click()
    expect(page.locator("[data-copy-status]")).to_have_text("Скопировано")
    link = page.get_by_test_id("referral-link").input_value()
    assert re.search(r"/register\?ref=[\w-]+$", link)
    shot(page, "invitation-link")

    # A colleague at another partner company registers through it and confirms the address.
    newbie = new_page()
    newbie.goto(link)
    expect(newbie.locator(".alert-warning")).to_have_count(0)
    newbie.get_by_label("ФИО").fill("Новиков Павел Олегович")
    newbie.get_by_label("Email").fill("pavel@example.test")
    newbie.get_by_label("Мобильный телефон").fill("+7 916 123 45 67")
    newbie.get_by_label("ИНН компании").fill(other.inn)
    expect(newbie.get_by_test_id("inn-status")).to_contain_text("ООО «Северный климат»")
    newbie.get_by_label("Менеджер (руководитель, закупщик, продавец)").check()
    newbie.get_by_label("Пароль", exact=True).fill("Pavel2026x")
    newbie.get_by_label("Повторите пароль").fill("Pavel2026x")
    newbie.locator("#accept_rules").check()
    newbie.locator("#accept_personal_data").check()
    newbie.get_by_role("button", name="Зарегистрироваться").last.click()
    expect(newbie.locator("h1")).to_contain_text("подтвердите email")
    newbie.goto(mailbox.link_in(mailbox.last_to("pavel@example.test")).replace("http://localhost", live_server))
    expect(newbie.locator(".alert-success")).to_contain_text("Email подтверждён")

    page.reload()
    expect(page.get_by_test_id("my-referrals")).to_contain_text("Новиков Павел Олегович")
    expect(page.get_by_test_id("my-referrals")).to_contain_text("после первой одобренной продажи")

    # His first sale (sent for review), approved by the manager.
    with app.app_context():
        pavel = db.session.scalar(select(User).where(User.email == "pavel@example.test"))
        claim_id = cf.submitted(pavel, number="СЧ-77", invoice_date=today()).id
        db.session.commit()
    manager = new_page()
    log_in(manager, live_server, "manager@example.test")
    manager.goto(f"{live_server}/claims/{claim_id}")
    manager.get_by_test_id("approve").click()
    expect(manager.locator(".alert-success")).to_be_visible()
    manager.goto(f"{live_server}/console/referrals")
    expect(manager.get_by_test_id("referrals")).to_contain_text("Новиков Павел Олегович")
    expect(manager.get_by_test_id("referrals")).to_contain_text("выплачено 700 баллов")
    shot(manager, "referrals-console")

    # Anna sees the bonus paid on her invitation page and on her statement.
    page.reload()
    expect(page.get_by_test_id("referral-bonus-paid")).to_have_text("выплачено 700 баллов")
    expect(page.get_by_test_id("referral-points")).to_contain_text("700")
    shot(page, "referral-bonus-paid")
    page.get_by_role("link", name="Мои баллы").first.click()
    expect(page.get_by_test_id("balance-available")).to_have_text("700")
    expect(page.get_by_test_id("statement")).to_contain_text("Бонус за приглашение: Новиков Павел Олегович")
