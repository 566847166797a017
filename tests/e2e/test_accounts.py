"""Journeys a new user takes through registration, approval, login and language."""

import re

from playwright.sync_api import expect

from portal.core.inn import make_inn
from tests.e2e.menus import open_menu

PASSWORD = "secret123"


def log_in(page, base, email, password=PASSWORD):
    page.goto(f"{base}/login")
    page.get_by_label(re.compile("Email")).fill(email)
    page.get_by_label(re.compile("^(Пароль|Password)$")).fill(password)
    # The next page loaded before the test goes on: its scripts (menus, pickers) have run when it is used.
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()


def test_register_with_unknown_inn_and_company_approved_by_manager(live_server, page, new_page, mailbox, make, shot):
    make.user(role="manager", email="manager@example.test", full_name="Белов Кирилл")
    inn = make_inn("781234567")
    page.goto(live_server)
    expect(page.locator("h1")).to_contain_text("Продавайте больше")
    shot(page, "landing-ru")
    page.get_by_test_id("hero-register").click()

    page.get_by_label("ФИО").fill("Смирнова Ольга Викторовна")
    page.get_by_label("Email").fill("olga@example.test")
    page.get_by_label("Мобильный телефон").fill("8 (921) 555-44")  # a digit short: the server says so below
    page.get_by_label("Дата рождения").fill("1991-07-15")
    page.get_by_label("ИНН компании").fill("7707083894")  # a wrong check digit, told as it is typed
    expect(page.get_by_test_id("inn-status")).to_have_text(
        "Введите правильный ИНН: 10 или 12 цифр с верной контрольной цифрой.")
    expect(page.get_by_label("ИНН компании")).to_have_class(re.compile(r"\bis-invalid\b"))
    page.get_by_label("ИНН компании").fill(inn)
    expect(page.get_by_test_id("inn-status")).to_contain_text("Укажите название и регион компании")
    expect(page.get_by_label("ИНН компании")).not_to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.get_by_label("Название компании")).to_be_visible()
    page.get_by_label("Название компании").fill("ООО «Балтийский климат»")
    page.get_by_label("Регион компании").fill("Санкт-Петербург")
    page.get_by_label("Специалист (проектировщик, монтажник, ИТ)").check()
    page.get_by_label("Должность").fill("Инженер-проектировщик")
    page.get_by_label("Пароль", exact=True).fill("Baltika2026")
    page.get_by_label("Повторите пароль").fill("Baltika2026")
    page.locator("#accept_rules").check()
    page.locator("#accept_personal_data").check()
    shot(page, "register-filled")
    page.get_by_role("button", name="Зарегистрироваться").last.click()
    expect(page.locator(".invalid-feedback")).to_contain_text("Введите российский номер")
    # only the phone needs fixing: the passwords typed are still there
    expect(page.get_by_label("Пароль", exact=True)).to_have_value("Baltika2026")
    expect(page.get_by_label("Повторите пароль")).to_have_value("Baltika2026")
    shot(page, "register-error-keeps-passwords")
    page.get_by_label("Мобильный телефон").fill("8 (921) 555-44-33")
    page.get_by_role("button", name="Зарегистрироваться").last.click()

    expect(page.locator("h1")).to_contain_text("подтвердите email")
    link = mailbox.link_in(mailbox.last_to("olga@example.test"))
    page.goto(link.replace("http://localhost", live_server))
    # the link signs her in and shows her next step: her company waits for the program team
    expect(page.locator(".alert-success")).to_contain_text("Email подтверждён")
    expect(page.locator(".alert-warning")).to_contain_text("ожидает одобрения")
    shot(page, "pending-company")

    manager = new_page()
    log_in(manager, live_server, "manager@example.test")
    open_menu(manager, "Партнёры")  # the console menu groups its pages
    manager.get_by_role("link", name="Компании").first.click()
    manager.get_by_role("link", name="ООО «Балтийский климат»").click()
    manager.get_by_test_id("approve-company").click()
    expect(manager.locator(".alert-success")).to_contain_text("одобрена")
    shot(manager, "company-approved")
    assert "одобрила" in mailbox.body(mailbox.last_to("olga@example.test"))

    page.reload()
    expect(page.locator(".alert-warning")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("ООО «Балтийский климат»")


def test_register_with_an_invitation(live_server, page, new_page, mailbox, make, shot):
    company = make.company(name="ООО «Тёплый дом»")
    make.user(role="partner_admin", company=company, email="head@example.test", full_name="Громов Артём")
    log_in(page, live_server, "head@example.test")
    page.get_by_role("link", name="Моя команда").first.click()
    page.get_by_label("Email коллеги").fill("newbie@example.test")
    page.get_by_role("button", name="Отправить приглашение").click()
    expect(page.locator(".alert-success")).to_contain_text("newbie@example.test")
    shot(page, "team-invited")

    newbie = new_page()
    newbie.goto(mailbox.link_in(mailbox.last_to("newbie@example.test")).replace("http://localhost", live_server))
    expect(newbie.locator(".alert-info")).to_contain_text("ООО «Тёплый дом»")
    expect(newbie.get_by_label("Email")).to_have_value("newbie@example.test")
    expect(newbie.get_by_label("ИНН компании")).to_have_attribute("readonly", "")
    newbie.get_by_label("ФИО").fill("Новиков Павел Олегович")
    newbie.get_by_label("Мобильный телефон").fill("+7 916 123 45 67")
    newbie.get_by_label("Менеджер (руководитель, закупщик, продавец)").check()
    newbie.get_by_label("Пароль", exact=True).fill("Pavel2026x")
    newbie.get_by_label("Повторите пароль").fill("Pavel2026x")
    newbie.locator("#accept_rules").check()
    newbie.locator("#accept_personal_data").check()
    newbie.get_by_role("button", name="Зарегистрироваться").last.click()
    expect(newbie.locator(".alert-success")).to_contain_text("Добро пожаловать")
    expect(newbie.locator("main")).to_contain_text("ООО «Тёплый дом»")
    shot(newbie, "invited-dashboard")

    page.reload()
    expect(page.get_by_role("cell", name="Новиков Павел Олегович")).to_be_visible()

    # From now on the partner admin decides the newcomer's audience: the profile shows it and cannot change it.
    newbie.goto(f"{live_server}/profile")
    expect(newbie.get_by_test_id("profile-audience")).to_have_value("Менеджер")
    expect(newbie.get_by_test_id("profile-audience")).to_be_disabled()
    page.get_by_label("Аудитория: Новиков Павел Олегович").select_option("specialist")
    page.get_by_role("row", name=re.compile("Новиков Павел")).get_by_role("button", name="Изменить").click()
    expect(page.locator(".alert-success")).to_contain_text("аудитория «Специалист» с сегодняшнего дня")
    shot(page, "team-audience-changed")
    newbie.reload()
    expect(newbie.get_by_test_id("profile-audience")).to_have_value("Специалист")


def test_wrong_password_then_right_one(live_server, page, make, shot):
    make.user(email="seller@example.test")
    log_in(page, live_server, "seller@example.test", "wrong-password1")
    expect(page.locator(".alert-danger")).to_contain_text("Неверный email или пароль")
    expect(page.get_by_label("Email")).to_have_value("seller@example.test")
    shot(page, "wrong-password")
    log_in(page, live_server, "seller@example.test")
    expect(page).to_have_url(f"{live_server}/home")


def test_switch_language_is_remembered(live_server, page, make, shot):
    page.goto(live_server)
    page.get_by_test_id("language-switch").click()
    expect(page.locator("h1")).to_contain_text("Sell more, earn points, choose prizes")
    page.goto(f"{live_server}/login")
    expect(page.locator("h1")).to_have_text("Log in")
    shot(page, "login-en")

    make.user(email="english@example.test")
    log_in(page, live_server, "english@example.test")
    expect(page.get_by_role("link", name="Home")).to_be_visible()
    page.get_by_test_id("language-switch").click()
    expect(page.get_by_role("link", name="Главная")).to_be_visible()
    page.reload()
    expect(page.get_by_role("link", name="Главная")).to_be_visible()
