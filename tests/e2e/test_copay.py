"""Points fall short: the participant pays the rest by card on our page with Stripe.js (the emulator's stand-in);
the emulator's signed webhook marks the order paid."""

import urllib.parse
import urllib.request

from playwright.sync_api import expect

from portal.extensions import db
from portal.ledger import services as ledger
from tests.e2e.seed import starting_points
from tests.e2e.test_accounts import log_in
from tests.shop import factories as f


def register_webhook(emulator: str, url: str) -> None:
    body = urllib.parse.urlencode({"url": url, "secret": "whsec_local"}).encode()
    urllib.request.urlopen(urllib.request.Request(f"{emulator}/_config/webhooks/portal", data=body), timeout=5).close()


def test_pay_the_rest_by_card(app, stripe, live_server, page, make, shot, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    register_webhook(stripe, f"{live_server}/payments/webhook")
    buyer = make.user(email="buyer@example.test", full_name="Соколова Анна")
    with app.app_context():
        starting_points(buyer.id, 3000)
        f.prize(name="Умная колонка", points=4000, stock=3)
        db.session.commit()

    log_in(page, live_server, "buyer@example.test")
    page.goto(f"{live_server}/shop")
    page.get_by_role("link", name="Умная колонка").first.click()
    page.get_by_test_id("add-to-cart").click()
    page.get_by_test_id("to-checkout").click()
    expect(page.get_by_test_id("copay")).to_contain_text("1\xa0000,00\xa0₽")
    expect(page.get_by_test_id("checkout-points")).to_have_text("3\xa0000")
    expect(page.get_by_test_id("checkout-card")).to_have_text("1\xa0000,00\xa0₽")
    page.get_by_label("Адрес доставки").fill("г. Тула, ул. Советская, д. 3, кв. 7")
    page.get_by_label("Телефон для курьера").fill("+7 953 111-22-33")
    page.get_by_test_id("place-order").click()

    expect(page.locator("h1")).to_contain_text("оплатите остаток картой")
    expect(page.get_by_test_id("pay-deadline")).to_contain_text("Оплатите до")
    card = page.get_by_test_id("card-element")

    def fill_card(number):
        card.get_by_placeholder("number").fill(number)
        card.get_by_placeholder("exp_month").fill("12")
        card.get_by_placeholder("exp_year").fill("30")
        card.get_by_placeholder("cvc").fill("123")
        card.get_by_placeholder("postal_code").fill("30000")

    # The bank declines the first card: the order waits, and another card can be tried on the same page.
    fill_card("4000000000000341")
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("card-errors")).to_contain_text("Попробуйте другую карту")
    expect(page.get_by_test_id("pay")).to_be_enabled()
    shot(page, "declined")
    fill_card("4242424242424242")
    shot(page, "card")
    page.get_by_test_id("pay").click()
    # Paid only once the emulator's signed webhook has reached the portal.
    expect(page.get_by_test_id("order-status")).to_have_text("Оплачен", timeout=20_000)
    expect(page.get_by_test_id("order-history")).to_contain_text("Оплачен")
    expect(page.get_by_test_id("order-history")).to_contain_text("карта отклонена")
    shot(page, "paid")
    with app.app_context():
        assert ledger.balances_of(buyer.id) == ledger.Balances(available=0, held=0, debt=0)
