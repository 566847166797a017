"""A participant registers a lead, a manager qualifies it, the participant registers the sale naming it; both
rewards are explained on the statement and the source report shows the channel's conversion and revenue."""

import re

import pytest
from playwright.sync_api import expect

from portal.core.time import today
from portal.extensions import db
from portal.program.services import get_settings
from tests.claims import factories as cf
from tests.e2e.test_accounts import log_in
from tests.leads import factories as f

PDF = b"%PDF-1.4\n% e2e\n"
TEXT = {
    "ru": {"leads": "Лиды", "submitted": "На проверке", "qualified": "Квалифицирован", "won": "Выигран",
           "lead_reward": "Лид #{id} квалифицирован", "share": "Доля продажи № {id}", "channel": "Выставка e2e"},
    "en": {"leads": "Leads", "submitted": "Submitted", "qualified": "Qualified", "won": "Won",
           "lead_reward": "Lead #{id} qualified", "share": "Share of sale #{id}", "channel": "Exhibition e2e"},
}


def seed(app):
    with app.app_context():
        get_settings().first_sale_bonus = 0
        cf.product(sku="AC-S12", name="Сплит-система Nord 12", category="Сплит-системы", price=4_590_000,
                   cost=3_460_000)
        cf.per_unit_rule(100, name="За штуку")
        channel = f.channel("Выставка e2e", "Exhibition e2e")
        f.rule("fixed", 400, name="За лид")
        f.rule("revenue_pct", 2, channel_id=channel.id, name="2% выручки с выставки")
        db.session.commit()


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_lead_from_registration_to_rewards_and_report(app, live_server, page, new_page, make, shot, tmp_path, locale):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    text = TEXT[locale]
    make.user(email="seller@example.test", full_name="Соколова Анна", locale=locale)
    make.user(role="manager", email="manager@example.test", full_name="Белов Кирилл", locale=locale)
    seed(app)

    # The participant registers a lead.
    log_in(page, live_server, "seller@example.test")
    page.get_by_role("link", name=text["leads"], exact=True).first.click()
    page.get_by_test_id("new-lead").click()
    page.locator("#customer_name").fill("ООО «Северный офис»")
    page.locator("#customer_inn").fill("7707083893")
    page.locator("#region").fill("Москва")
    page.locator("#contact_name").fill("Петров Пётр")
    page.locator("#contact_phone").fill("8 916 555 12 34")
    page.locator("#contact_email").fill("petrov@sever-office.ru")
    page.locator("#need").fill("Сплит-системы в офис, 10 штук")
    page.locator("#estimated_amount").fill("450 000")
    page.locator("#channel_id").select_option(label=text["channel"])
    page.locator("#attachments").set_input_files(files=[{"name": "brief.pdf", "mimeType": "application/pdf",
                                                         "buffer": PDF}])
    shot(page, f"lead-form-{locale}")
    page.get_by_test_id("submit-lead").click()
    expect(page.get_by_test_id("lead-status")).to_have_text(text["submitted"])
    lead_id = int(re.search(r"/leads/(\d+)", page.url).group(1))

    # The manager qualifies it from the queue.
    manager = new_page()
    log_in(manager, live_server, "manager@example.test")
    manager.get_by_role("link", name=text["leads"], exact=True).first.click()
    manager.get_by_role("link", name=f"#{lead_id}", exact=True).click()
    expect(manager.get_by_test_id("expected-lead-points")).to_have_text("400")
    manager.get_by_test_id("qualify").click()
    expect(manager.get_by_test_id("lead-status")).to_have_text(text["qualified"])
    expect(manager.get_by_test_id("lead-points")).to_have_text("400")
    shot(manager, f"lead-qualified-{locale}")

    # The participant registers the sale naming the lead: the form offers it once the INN matches.
    page.goto(f"{live_server}/claims/new")
    page.locator("#invoice_number").fill("УПД-501")
    page.locator("#invoice_date").fill(today().isoformat())
    expect(page.get_by_test_id("claim-lead-box")).to_be_hidden()
    page.locator("#customer_inn").fill("7707083893")
    expect(page.get_by_test_id("claim-lead-box")).to_be_visible()
    expect(page.get_by_test_id("claim-lead")).to_have_value(str(lead_id))  # the only matching lead, pre-selected
    page.locator("#customer_name").fill("ООО «Северный офис»")
    page.locator("#lines-0-product").fill("AC-S12")
    page.locator("#lines-0-quantity").fill("2")
    page.locator("#lines-0-price").fill("45900")
    page.locator("#scan").set_input_files(files=[{"name": "upd.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    shot(page, f"sale-naming-lead-{locale}")
    page.get_by_test_id("submit-claim").click()
    expect(page.get_by_test_id("claim-lead")).to_contain_text(f"#{lead_id}")
    claim_id = int(re.search(r"/claims/(\d+)", page.url).group(1))

    # The manager approves the sale; the lead's share is explained on the claim, the lead is won.
    manager.goto(f"{live_server}/claims/{claim_id}")
    manager.get_by_test_id("approve").click()
    expect(manager.get_by_test_id("lead-share-points")).to_have_text(re.compile(r"1[\s,]?836"))  # 2% of 91,800 RUB
    page.goto(f"{live_server}/claims/{claim_id}")
    expect(page.get_by_test_id("claim-lead")).to_contain_text("2% выручки с выставки")
    page.goto(f"{live_server}/leads/{lead_id}")
    expect(page.get_by_test_id("lead-status")).to_have_text(text["won"])

    # Both rewards are on the statement, each explained.
    page.goto(f"{live_server}/points")
    statement = page.get_by_test_id("statement")
    expect(statement).to_contain_text(text["lead_reward"].format(id=lead_id))
    expect(statement).to_contain_text(text["share"].format(id=claim_id))
    expect(page.get_by_test_id("balance-available")).to_have_text(re.compile(r"2[\s,]?436"))  # 400 + 200 + 1,836
    shot(page, f"statement-{locale}")

    # The source report shows the channel's conversion and revenue.
    manager.goto(f"{live_server}/console/leads/report")
    funnel = manager.get_by_test_id("report-funnel").locator("tr", has_text=text["channel"])
    expect(funnel).to_contain_text("100")
    money = manager.get_by_test_id("report-table").locator("tr", has_text=text["channel"])
    expect(money).to_contain_text(re.compile(r"91[\s,]?800"))
    expect(manager.get_by_test_id("report-chart")).to_be_visible()
    shot(manager, f"source-report-{locale}")
