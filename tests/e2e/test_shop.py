"""Browse, add to cart, order with points; the manager ships it; the participant sees it shipped. Both languages."""

from playwright.sync_api import expect

from portal.extensions import db
from tests.e2e.seed import starting_points
from tests.e2e.test_accounts import log_in
from tests.shop import factories as f


def test_order_with_points_shipped_by_the_manager(app, live_server, page, new_page, make, shot, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    buyer = make.user(email="buyer@example.test", full_name="Соколова Анна", audience="manager")
    make.user(role="manager", email="manager@example.test")
    with app.app_context():
        starting_points(buyer.id, 5000)
        f.prize(name="Беспроводные наушники", points=3900, stock=2)
        f.prize(name="Дрель-шуруповёрт", points=2000, stock=5, audience="specialist")
        db.session.commit()

    log_in(page, live_server, "buyer@example.test")
    page.get_by_role("link", name="Магазин").first.click()
    expect(page.get_by_test_id("prize-card")).to_have_count(1)  # the specialists' prize is not offered
    page.get_by_role("link", name="Беспроводные наушники").first.click()
    expect(page.locator("main")).to_contain_text("В наличии: 2")
    page.get_by_test_id("add-to-cart").click()
    page.get_by_test_id("to-checkout").click()
    expect(page.get_by_test_id("checkout-points")).to_have_text("3\xa0900")
    expect(page.get_by_test_id("balance-after")).to_have_text("1\xa0100")
    page.get_by_label("Адрес доставки").fill("г. Казань, ул. Баумана, д. 5, кв. 12")
    page.get_by_label("Телефон для курьера").fill("8 917 123-45-67")
    shot(page, "checkout")
    page.get_by_test_id("place-order").click()
    expect(page.locator(".alert-success")).to_contain_text("оформлен")
    expect(page.get_by_test_id("order-status")).to_have_text("Оформлен")

    manager = new_page()
    log_in(manager, live_server, "manager@example.test")
    manager.get_by_role("link", name="Заказы").first.click()
    manager.locator(".order-check").first.check()
    manager.get_by_test_id("bulk-orders").click()
    expect(manager.locator(".alert-success")).to_contain_text("1 заказ обновлён")
    manager.get_by_role("link", name="#1").click()
    manager.get_by_label("Трек-номер").fill("RU987654321")
    manager.get_by_test_id("ship").click()
    expect(manager.get_by_test_id("order-status")).to_have_text("Отправлен")
    shot(manager, "shipped")

    page.get_by_test_id("language-switch").click()  # posts, then comes back to this order page, in English
    expect(page.get_by_test_id("order-status")).to_have_text("Shipped")
    expect(page.get_by_test_id("tracking")).to_have_text("RU987654321")
    page.get_by_role("link", name="My points").first.click()
    expect(page.get_by_test_id("balance-available")).to_have_text("1,100")
    shot(page, "shipped-en")
