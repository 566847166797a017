"""A manager builds a group with the searchable picker and sets a plan; the participant sees the plan card."""

from datetime import timedelta

from playwright.sync_api import expect

from portal.auth.models import User
from portal.claims import services as claims
from portal.core.time import today
from portal.extensions import db
from tests.claims import factories as f
from tests.e2e.menus import open_menu
from tests.e2e.test_accounts import log_in


def test_manager_groups_companies_and_sets_a_plan_participant_sees_it(app, live_server, page, new_page, make, shot):
    climate = make.company(name="ООО «Климат Плюс»", region="Москва")
    make.company(name="ООО «Вектор»", region="Москва")
    make.company(name="ООО «Сибирь Климат»", region="Новосибирская область")
    seller = make.user(email="seller@example.test", full_name="Соколова Анна", company=climate)
    make.user(role="manager", email="manager@example.test", full_name="Белов Кирилл")
    with app.app_context():
        f.product()
        claim = f.submitted(db.session.get(User, seller.id), number="E2E-1", invoice_date=today() - timedelta(
            days=0 if today().day == 1 else 1))
        claims.approve_claim(claim, db.session.scalar(db.select(User).where(User.email == "manager@example.test")))
        db.session.commit()

    log_in(page, live_server, "manager@example.test")
    open_menu(page, "Партнёры")  # the console menu groups its pages
    page.get_by_role("link", name="Группы").first.click()
    page.get_by_test_id("new-group").click()
    page.get_by_label("Название группы").fill("Дилеры Москвы")
    page.get_by_label("Описание").fill("Партнёры Москвы и области")
    page.get_by_test_id("save-group").click()
    expect(page.locator("h1")).to_have_text("Дилеры Москвы")

    # the searchable picker, with the keyboard only
    picker = page.get_by_test_id("company-picker")
    picker.click()
    picker.press_sequentially("климат", delay=30)
    listbox = page.get_by_role("listbox")
    expect(listbox.get_by_role("option")).to_have_count(2)
    picker.press("ArrowDown")  # from the first option to the second: «Сибирь Климат» sorts after «Климат Плюс»
    picker.press("ArrowUp")
    picker.press("Enter")
    expect(picker).to_have_value(climate.inn)
    shot(page, "picker")
    page.get_by_test_id("add-company").click()
    expect(page.locator(".alert-success")).to_contain_text("ООО «Климат Плюс» добавлена в группу")
    page.get_by_label("Регион").select_option("Москва")
    page.get_by_test_id("add-region").click()
    expect(page.get_by_test_id("member-count")).to_have_text("2")
    expect(page.get_by_test_id("members")).to_contain_text("ООО «Вектор»")
    shot(page, "group")

    open_menu(page, "Программа")
    page.get_by_role("link", name="Планы", exact=True).first.click()
    page.get_by_test_id("set-plan").click()
    page.get_by_label("Почта участника").fill("seller@example.test")
    page.get_by_label("Показатель").select_option("sales_amount")
    page.get_by_label("План", exact=True).fill("196 000")
    page.get_by_test_id("save-plan").click()
    expect(page.locator(".alert-success")).to_contain_text("Соколова Анна")
    page.get_by_label("Группа").select_option(label="Дилеры Москвы")
    page.get_by_role("button", name="Найти").click()
    expect(page.get_by_test_id("plans")).to_contain_text("Соколова Анна")
    expect(page.get_by_test_id("plans")).to_contain_text("50%")
    shot(page, "plans")

    participant = new_page()
    log_in(participant, live_server, "seller@example.test")
    card = participant.get_by_test_id("plan-card")
    expect(card).to_contain_text("Мой план продаж")
    expect(card.get_by_test_id("plan-percent")).to_have_text("50%")
    shot(participant, "home-card")
    participant.get_by_test_id("language-switch").click()
    expect(card).to_contain_text("My sales plan")
    expect(card).to_contain_text("Sales amount")
    card.get_by_role("link", name="My plan").click()
    expect(participant.get_by_test_id("plan-actual")).to_contain_text("98,000")
    expect(participant.locator("body")).to_contain_text("Pace: where you would be today")
    shot(participant, "my-plan-en")


def test_rule_pickers_work_with_the_keyboard(app, live_server, page, make, shot):
    from portal.groups import services as groups

    climate = make.company(name="ООО «Климат Плюс»")
    make.company(name="ООО «Вектор»")
    manager = make.user(role="manager", email="manager@example.test")
    with app.app_context():
        f.product()
        f.per_unit_rule(points=100, name="За сплиты")
        groups.save_group("Интеграторы Gold", "", db.session.get(User, manager.id))
        db.session.commit()

    log_in(page, live_server, "manager@example.test")
    page.goto(f"{live_server}/console/rules")
    page.get_by_role("link", name="За сплиты").click()
    page.get_by_role("link", name="Изменить").click()
    companies = page.get_by_test_id("picker-company_ids")
    search = companies.get_by_role("combobox")
    search.press_sequentially("вект", delay=30)
    expect(page.get_by_role("option", name="ООО «Вектор»", exact=False)).to_be_visible()
    search.press("Enter")
    search.press("Backspace")  # the empty box's Backspace takes the last choice back
    expect(companies.locator(".picker-chip")).to_have_count(0)
    search.press_sequentially("климат", delay=30)
    expect(page.get_by_role("option", name="ООО «Климат Плюс»", exact=False)).to_be_visible()
    search.press("ArrowDown")
    search.press("Enter")
    expect(companies.locator(".picker-chip")).to_contain_text(f"ООО «Климат Плюс» · {climate.inn}")
    products = page.get_by_test_id("picker-product_ids").get_by_role("combobox")
    products.press_sequentially("SPL", delay=30)
    expect(page.get_by_role("option", name="SPL-09", exact=False)).to_be_visible()
    products.press("Enter")
    page.get_by_label("Группы партнёров").select_option(label="Интеграторы Gold")
    shot(page, "rule-pickers")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_test_id("rule-groups")).to_contain_text("Интеграторы Gold")
    expect(page.locator("body")).to_contain_text("ООО «Климат Плюс»")
    expect(page.locator("body")).to_contain_text("SPL-09")
