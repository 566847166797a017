"""A manager runs a contest with two leagues and three winners each; sales move the board; a participant sees
their position; the manager finalises and opens the protocol; a winner sees the prize on the statement."""

from datetime import timedelta

from flask_babel import to_user_timezone
from playwright.sync_api import expect
from sqlalchemy import select, update

from portal.auth.models import User
from portal.contests.models import Contest
from portal.core.time import utcnow
from portal.extensions import db
from portal.program.services import get_settings
from tests.claims import factories as cf
from tests.contests import helpers as h
from tests.e2e.menus import open_menu
from tests.e2e.test_accounts import log_in


def seed(app, make):
    moscow, region = make.company(name="ООО «Климат Москва»"), make.company(name="ООО «Тепло Урал»")
    people = {}
    for i in range(4):
        people[f"m{i}"] = make.user(company=moscow, email=f"m{i}@example.test", full_name=f"Москвин {i}")
        people[f"r{i}"] = make.user(company=region, email=f"r{i}@example.test", full_name=f"Уральцев {i}")
    make.user(role="manager", email="manager@example.test", full_name="Белов Кирилл")
    with app.test_request_context():
        cf.product()
        get_settings().first_sale_bonus = 0
        h.group("Дилеры Москвы", db.session.get(type(moscow), moscow.id))
        h.group("Регионы", db.session.get(type(region), region.id))
        db.session.commit()
    return people


def local(moment):
    return to_user_timezone(moment).strftime("%Y-%m-%dT%H:%M")


def sell(app, person_id, quantity, approve=True):
    """A sale submitted by the participant and approved by the program team (outside the browser)."""
    with app.test_request_context():
        manager = db.session.scalar(select(User).where(User.email == "manager@example.test"))
        claim = h.sale(db.session.get(User, person_id), manager, quantity=quantity, approve=approve)
        db.session.commit()
        return claim.id


def test_contest_from_setup_to_prize(app, live_server, page, new_page, make, shot):
    people = seed(app, make)
    with app.test_request_context():
        starts, ends = local(utcnow() - timedelta(days=5)), local(utcnow() + timedelta(days=5))

    # The manager sets up the contest: two leagues (one per group), three winners each.
    log_in(page, live_server, "manager@example.test")
    open_menu(page, "Программа")  # the console menu groups its pages
    page.get_by_role("link", name="Конкурсы").first.click()
    page.get_by_test_id("new-contest").click()
    page.get_by_label("Название", exact=True).fill("Кубок сплит-систем")
    page.get_by_label("Начало").fill(starts)
    page.get_by_label("Окончание").fill(ends)
    page.get_by_label("Что учитывается").select_option("units")
    page.get_by_label("Группы партнёров").select_option(label=["Дилеры Москвы", "Регионы"])
    page.get_by_label("Лиги").select_option("group")
    page.get_by_label("Победителей в лиге").fill("3")
    page.get_by_label("Призовые баллы по местам").fill("5000, 3000, 1000")
    page.get_by_test_id("save-contest").click()
    expect(page.locator(".alert-success")).to_contain_text("Конкурс сохранён.")
    page.get_by_test_id("publish").click()
    expect(page.get_by_test_id("contest-status")).to_have_text("Идут сейчас")
    with app.app_context():
        contest_id = db.session.scalar(select(Contest.id))

    # Approved sales move the board; the manager approves one in the claims queue.
    for key, quantity in [("m0", 5), ("m1", 3), ("m2", 1), ("r0", 2), ("r1", 4), ("r2", 6), ("r3", 1)]:
        sell(app, people[key].id, quantity)
    pending = sell(app, people["m3"].id, 7, approve=False)
    page.goto(f"{live_server}/claims/{pending}")
    page.get_by_test_id("approve").click()
    page.goto(f"{live_server}/console/contests/{contest_id}")
    moscow_board = page.locator("[data-testid^=live-board-]").first
    expect(moscow_board).to_contain_text("Москвин 3")
    expect(moscow_board.locator("tbody tr").first).to_contain_text("Москвин 3")
    shot(page, "manager-live")

    # A participant finds the contest and their position.
    participant = new_page()
    log_in(participant, live_server, "m2@example.test")
    participant.get_by_role("link", name="Конкурсы").first.click()
    expect(participant.get_by_test_id("contests-running")).to_contain_text("Кубок сплит-систем")
    participant.get_by_role("link", name="Кубок сплит-систем").click()
    expect(participant.get_by_test_id("my-position")).to_contain_text("Моё место: 4.")
    expect(participant.get_by_test_id("my-row")).to_contain_text("Москвин 2")
    expect(participant.get_by_test_id("countdown")).to_contain_text("До окончания")
    shot(participant, "participant-ru")
    participant.get_by_test_id("language-switch").click()
    expect(participant.get_by_test_id("my-position")).to_contain_text("My place: 4.")
    expect(participant.locator("h2").filter(has_text="Board")).to_be_visible()
    shot(participant, "participant-en")

    # The manager freezes the board by hand (asked first); a later sale moves the live board, not the
    # participant's place, which stays as of the freeze until the results are final.
    page.goto(f"{live_server}/console/contests/{contest_id}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("freeze").click()
    expect(page.get_by_test_id("contest-status")).to_have_text("Рейтинг заморожен")
    sell(app, people["m2"].id, 20)
    participant.reload()
    expect(participant.get_by_test_id("my-position")).to_contain_text("My place as of the freeze: 4.")
    expect(participant.get_by_test_id("my-position")).to_contain_text("My value now: 21.")
    participant.goto(f"{live_server}/contests")
    expect(participant.get_by_test_id("my-place")).to_contain_text("My place: 4")

    # The period ends; the manager reviews and finalises, then opens the protocol.
    with app.app_context():
        db.session.execute(update(Contest).values(freeze_at=utcnow() - timedelta(minutes=2),
                                                  ends_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    page.reload()
    expect(page.get_by_test_id("contest-status")).to_have_text("Итоги на проверке")
    expect(page.get_by_test_id("no-pending")).to_be_visible()
    page.get_by_test_id("finalise").click()  # asks first: dismissed, nothing happens
    expect(page.get_by_test_id("contest-status")).to_have_text("Итоги на проверке")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("finalise").click()
    expect(page.locator(".alert-success")).to_contain_text("Итоги подведены")
    winners = page.get_by_test_id("winners")
    expect(winners.locator("tbody tr")).to_have_count(6)
    page.get_by_test_id("protocol").click()
    expect(page.get_by_test_id("protocol-title")).to_have_text("Протокол подведения итогов конкурса")
    expect(page.get_by_test_id("protocol-league").first).to_contain_text("Москвин 3")
    expect(page.locator("body")).to_contain_text("Председатель комиссии")
    shot(page, "protocol-ru")

    # A winner sees the prize on their statement, in Russian and in English.
    winner = new_page()
    log_in(winner, live_server, "r2@example.test")
    winner.get_by_role("link", name="Мои баллы").first.click()
    expect(winner.get_by_test_id("balance-available")).to_have_text("5\xa0000")
    expect(winner.get_by_test_id("statement")).to_contain_text("Приз конкурса «Кубок сплит-систем», 1 место")
    winner.get_by_test_id("language-switch").click()
    expect(winner.get_by_test_id("statement")).to_contain_text("Contest prize: «Кубок сплит-систем», place 1")
    shot(winner, "statement-en")
    winner.goto(f"{live_server}/contests/{contest_id}")
    expect(winner.get_by_test_id("winners")).to_contain_text("5,000 points")
