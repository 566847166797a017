"""Two-factor sign-in in a real browser: enrol, sign in with a code, a replayed code refused, a recovery code;
then the audit log shows it all to the administrator."""

import re
import time

import pyotp
from playwright.sync_api import expect

from tests.e2e.menus import open_menu, open_user_menu
from tests.e2e.test_accounts import log_in


def log_out(page):
    open_user_menu(page)
    page.get_by_role("button", name="Выйти").click()
    expect(page.locator(".alert-info")).to_contain_text("Вы вышли")


def test_mfa_enrol_sign_in_replay_and_recovery(live_server, page, make, shot):
    make.user(role="admin", email="root@example.test", full_name="Админов Админ")
    log_in(page, live_server, "root@example.test")
    page.goto(f"{live_server}/profile")
    page.get_by_role("link", name="Настройки", exact=True).last.click()
    expect(page.locator("h1")).to_contain_text("Двухфакторный вход")
    expect(page.get_by_alt_text("QR-код для приложения-аутентификатора")).to_be_visible()
    shot(page, "enrol")
    secret = page.get_by_test_id("mfa-secret").inner_text().strip()
    totp = pyotp.TOTP(secret)
    page.get_by_label("Код из приложения").fill(totp.now())
    page.get_by_role("button", name="Включить").click()
    codes = page.get_by_test_id("recovery-codes").locator("li").all_inner_texts()
    assert len(codes) == 10
    shot(page, "recovery-codes")
    page.get_by_role("link", name="Я сохранил(а) коды").click()
    expect(page.locator("main")).to_contain_text("Осталось резервных кодов: 10")

    # Sign in again: the password, then the next code of the app.
    log_out(page)
    log_in(page, live_server, "root@example.test")
    expect(page.locator("h1")).to_contain_text("Введите код для входа")
    code = totp.at(time.time() + 30)
    page.get_by_label("Код", exact=True).fill(code)
    page.get_by_role("button", name="Войти").click()
    expect(page).to_have_url(re.compile(r"/home$"))

    # The same code, seen over a shoulder, does not work twice.
    log_out(page)
    log_in(page, live_server, "root@example.test")
    page.get_by_label("Код", exact=True).fill(code)
    page.get_by_role("button", name="Войти").click()
    expect(page.locator(".invalid-feedback, .text-danger").first).to_contain_text("уже использован")
    shot(page, "replayed-code")

    # A recovery code works, once.
    page.get_by_label("Код", exact=True).fill(codes[0])
    page.get_by_role("button", name="Войти").click()
    expect(page.locator(".alert-warning")).to_contain_text("резервному коду")
    expect(page).to_have_url(re.compile(r"/home$"))

    open_menu(page, "Настройки")
    page.get_by_role("link", name="Журнал аудита").click()
    table = page.locator("main table")
    expect(table).to_contain_text("Двухфакторный вход включён")
    expect(table).to_contain_text("Использован резервный код")
    expect(table).to_contain_text("Неудачный вход")
    shot(page, "audit-log")
