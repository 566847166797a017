"""Menus, home pages, money, wording, the icon and the language switch, as a new user meets them."""

import re
from datetime import timedelta

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from portal.auth.models import MANAGER, PARTICIPANT, PARTNER_ADMIN, User
from portal.core import navigation
from portal.core.formatting import rub
from portal.core.time import today, utcnow
from portal.extensions import db
from portal.ledger import services as ledger
from portal.shop import services as shop
from tests.claims import factories as claims_f
from tests.shop import factories as shop_f
from tests.training import factories as training_f


def test_money_has_the_locales_pattern_and_a_space(app):
    with app.test_request_context():
        with force_locale("ru"):
            assert rub(42500) == "425,00\xa0₽"
        with force_locale("en"):
            assert rub(42500) == "RUB\xa0425.00"
            assert rub(-142500) == "-RUB\xa01,425.00"


def test_favicon_is_served_and_linked(client):
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200 and response.data[:4] == b"\x00\x00\x01\x00"
    assert 'rel="icon" href="/static/favicon.ico"' in client.get("/login").get_data(as_text=True)


def test_the_language_switch_is_on_the_login_page_with_both_languages(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'data-testid="language-current">RU<' in page
    # Named by the letters shown, then the language in full (WCAG 2.5.3: the visible label is in the name).
    assert re.search(r'<button type="submit"[^>]*data-testid="language-switch">EN'
                     r'<span class="visually-hidden"> English<', page)
    client.post("/language/en", headers={"Referer": "http://localhost/login"})
    english = client.get("/login").get_data(as_text=True)
    assert 'data-testid="language-current">EN<' in english and '> Русский</span>' in english


def test_my_orders_is_in_the_participants_menu(client, login, make):
    make.user(email="seller@example.test")
    login("seller@example.test")
    page = client.get("/home").get_data(as_text=True)
    nav = page.split('id="mainnav"')[1].split("</ul>")[0]
    assert re.search(r'href="/shop/orders"[^>]*>Мои заказы<', nav)


def test_the_staff_menu_has_everything_in_keyboard_friendly_dropdowns(client, login, make):
    make.user(role=MANAGER, email="manager@example.test")
    login("manager@example.test")
    page = client.get("/console/products").get_data(as_text=True)
    nav = page.split('id="mainnav"')[1].split('class="d-flex align-items-center gap-2"')[0]
    for href, label in [("/console/products", "Товары"), ("/console/rules", "Правила начисления"),
                        ("/console/settings", "Настройки программы"), ("/console/prizes", "Призы и остатки"),
                        ("/console/prize-tax", "Реестр НДФЛ с призов"), ("/console/claims", "Продажи"),
                        ("/console/orders", "Заказы"), ("/console/training", "Обучение")]:
        assert re.search(rf'href="{href}"[^>]*>{label}<', nav), label
    # Dropdowns are buttons Bootstrap opens with Enter and closes with Escape; the current group is marked.
    catalogue = nav.split('data-testid="nav-group-catalogue"')[1].split("</li>\n              \n")[0]
    assert 'type="button" data-bs-toggle="dropdown"' in nav
    assert "dropdown-toggle active" in catalogue and 'aria-current="page"' in catalogue


def test_add_nav_item_keeps_its_old_form_and_groups_by_key_or_label(app):
    saved = list(navigation._items)
    try:
        navigation._items.clear()
        navigation.add_nav_item("home.rules", _l("Rules"), (MANAGER,), prefix="home.rules")  # the old call
        navigation.add_nav_item("home.privacy", _l("Privacy"), (MANAGER,), group="program")
        navigation.add_nav_item("home.index", _l("Landing"), (MANAGER,), group=_l("Contests"))
        navigation.add_nav_item("home.healthz", _l("Health"), (MANAGER,), group=_l("Contests"))
        navigation.add_nav_item("home.dashboard", _l("Mine"), (PARTICIPANT,), group="program")
        with app.test_request_context():
            menu = navigation.nav_items(User(role=MANAGER))
            assert [m.get("url") or m["key"] for m in menu] == ["/rules", "program", "Contests"]
            assert str(menu[1]["label"]) == "Программа"
            assert [c["url"] for c in menu[2]["children"]] == ["/", "/healthz"]
            assert navigation.nav_items(User(role=PARTNER_ADMIN)) == []
    finally:
        navigation._items[:] = saved


def test_manager_counters_sit_beside_their_links(client, login, make):
    make.user(role=MANAGER, email="manager@example.test")
    login("manager@example.test")
    page = client.get("/home").get_data(as_text=True)
    rows = re.findall(r'<div class="d-flex justify-content-between[^"]*" data-testid="counter-row">(.*?)</div>', page)
    assert len(rows) == 3
    assert all("<a href=" in row and 'class="badge' in row for row in rows)


def test_the_participants_home_shows_points_shop_training_sales_and_orders(app, client, login, make):
    person = make.user(email="seller@example.test")
    with app.app_context():
        ledger.earn(person.id, 700, key="soon", source_type="sale", source_id=1,
                    expires_at=utcnow() + timedelta(days=20))
        ledger.earn(person.id, 2300, key="later", source_type="sale", source_id=2)
        shop_f.prize(name="Термокружка", points=500)
        shop_f.prize(name="Рюкзак", points=4000)
        training_f.course(title="Инверторы")
        claims_f.product()
        user = db.session.get(User, person.id)
        claims_f.draft(user, number="СЧ-77")
        mug = shop_f.prize(name="Фляга", points=100)
        shop.add_to_cart(user, mug)
        order = shop.place_order(user, request_token="t1", delivery=shop_f.delivery())
        db.session.commit()
        order_id = order.id
    login("seller@example.test")
    page = client.get("/home").get_data(as_text=True)
    assert 'data-testid="dashboard-balance">2\xa0900<' in page
    # 100 of the 700 expiring points paid for the flask: the oldest lot goes first.
    assert "Баллы сгорают" in page and "(600)" in page
    home_shop = page.split('data-testid="home-shop"')[1].split('data-testid="home-training"')[0]
    assert "Термокружка" in home_shop and "Рюкзак" not in home_shop.split("</ul>")[0]
    assert "До приза «Рюкзак» не хватает баллов: 1\xa0100." in home_shop
    assert "Инверторы" in page.split('data-testid="home-training"')[1]
    assert "СЧ-77" in page.split('data-testid="home-sales"')[1]
    assert f'href="/shop/orders/{order_id}"' in page.split('data-testid="home-orders"')[1]
    assert 'data-testid="home-cards"' in page and "Feature cards" not in page


def test_any_agrees_with_feminine_filters(client, login, make):
    make.user(role=MANAGER, email="manager@example.test")
    login("manager@example.test")
    queue = client.get("/console/claims").get_data(as_text=True)
    status = queue.split('for="status"')[1].split("</select>")[0]
    assert ">Любой<" in status and ">Любая<" not in status  # «статус»; the company is a picker now
    people = client.get("/console/people").get_data(as_text=True)
    assert ">Любая<" in people.split('for="role"')[1].split("</select>")[0]
    products = client.get("/console/products").get_data(as_text=True)
    assert ">Любая<" in products.split('for="category"')[1].split("</select>")[0]
    assert ">Любой<" in products.split('for="active"')[1].split("</select>")[0]  # «статус» stays masculine
    rule_form = client.get("/console/rules/new").get_data(as_text=True)
    assert re.search(r'<label class="form-label" for="name">Название</label>', rule_form)
    assert ">Любая<" in rule_form.split('for="audience"')[1].split("</select>")[0]


def test_shop_category_filter_says_any_in_the_feminine(client, login, make):
    make.user(email="seller@example.test")
    login("seller@example.test")
    page = client.get("/shop").get_data(as_text=True)
    assert ">Любая<" in page.split('id="category"')[1].split("</select>")[0]


def test_my_team_pages_and_searches(app, client, login, make):
    admin = make.user(role=PARTNER_ADMIN, email="head@example.test", full_name="Аадмин Главный")
    with app.app_context():
        company = db.session.get(User, admin.id).company
        for n in range(27):
            make.user(company=company, full_name=f"Коллега {n:02d}", email=f"c{n}@example.test")
    login("head@example.test")
    first = client.get("/team").get_data(as_text=True)
    assert "Найдено: 28" in first and "Коллега 23" in first and "Коллега 24" not in first
    assert "Коллега 26" in client.get("/team?page=2").get_data(as_text=True)
    found = client.get("/team?q=C5@").get_data(as_text=True)
    assert "Коллега 05" in found and "Коллега 06" not in found


def test_rule_and_region_names_in_english(app, client, login, make):
    from portal.partners import services as partners

    manager = make.user(role=MANAGER, email="manager@example.test")
    with app.app_context():
        rule = claims_f.per_unit_rule(100, name="За штуку")
        rule.name_en = "Per unit"
        claims_f.product()
        actor = db.session.get(User, manager.id)
        partners.create_company("7707083893", "ООО «Север»", "Мурманская область", actor, region_en="Murmansk Region")
        db.session.commit()
    reader = make.user(email="reader@example.test", locale="en")
    with app.app_context():
        company = db.session.get(User, reader.id).company
        company.region = "Мурманская область"
        partners.name_region("Мурманская область", None)
        db.session.commit()
    login("reader@example.test")
    form = {"invoice_number": "1", "invoice_date": today().isoformat(), "customer_name": "X",
            "lines-0-product": "SPL-09", "lines-0-quantity": "1", "lines-0-price": "100"}
    assert client.post("/claims/preview", data=form).get_json()["awards"] == [{"rule": "Per unit", "points": 100}]
    assert "Murmansk Region" in client.get("/home").get_data(as_text=True)


def test_earning_rules_page_and_search(app, client, login, make):
    make.user(role=MANAGER, email="manager@example.test")
    with app.app_context():
        for n in range(27):
            claims_f.per_unit_rule(10 + n, name=f"Правило {n:02d}")
        db.session.commit()
    login("manager@example.test")
    first = client.get("/console/rules").get_data(as_text=True)
    assert "Найдено: 27" in first and first.count("Правило ") == 25
    found = client.get("/console/rules?q=правило 26").get_data(as_text=True)
    assert "Правило 26" in found and "Правило 25" not in found


def test_new_list_filters_take_any_input_without_a_500(client, login, make):
    make.user(role=MANAGER, email="manager@example.test")
    login("manager@example.test")
    for url in ["/console/prizes?page=99999999999999999999999", "/console/prizes?q=" + "я" * 10_000,
                "/console/rules?page=1e309&q=NaN", "/console/prize-tax?year=NaN&page=-5",
                "/console/prizes/999999999999999999999999999999999999999", "/console/training/attempts?page=x"]:
        assert client.get(url).status_code in (200, 404), url


def test_landing_page_draws_icons_from_the_vendored_sprite_not_emoji(client):
    import re

    page = client.get("/").get_data(as_text=True)
    assert re.search(r"[\U0001F300-\U0001FAFF]", page) is None
    assert page.count("/static/icons.svg#") >= 5
    with client.get("/static/icons.svg") as response:
        sprite = response.get_data(as_text=True)
    for name in ("trophy", "receipt", "people", "mortarboard", "flag"):
        assert f'id="{name}"' in sprite
