"""A sale on the claim form linked to its lead: opened from the lead's page, pre-selected by the customer INN,
the share among the expected points; and the service that finds the lead a sale closes."""

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.auth.models import MANAGER, User
from portal.claims.models import Claim
from portal.core.time import local_date, today
from portal.extensions import db
from portal.leads import services
from portal.leads.models import Lead
from portal.program.services import get_settings
from tests.claims import factories as cf
from tests.leads import factories as f

CUSTOMER = "7707083893"


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)


@pytest.fixture
def qualified_lead(app, make):
    """A seller with a qualified lead for CUSTOMER (and a revenue share rule); returns the lead id."""
    seller = make.user(email="seller@example.test")
    manager = make.user(role=MANAGER, email="manager@example.test")
    with app.app_context():
        get_settings().first_sale_bonus = 0
        cf.product()
        f.rule("revenue_pct", 1)
        lead = f.lead(db.session.get(User, seller.id), f.channel().id, customer_inn=CUSTOMER)
        services.qualify_lead(lead, db.session.get(User, manager.id))
        db.session.commit()
        return lead.id


def test_register_the_sale_on_the_leads_page_opens_the_form_with_the_lead_and_its_customer(client, login,
                                                                                           qualified_lead):
    login("seller@example.test")
    lead_page = client.get(f"/leads/{qualified_lead}").get_data(as_text=True)
    assert f'href="/claims/new?lead={qualified_lead}"' in lead_page
    form = client.get(f"/claims/new?lead={qualified_lead}").get_data(as_text=True)
    assert re.search(rf'<option value="{qualified_lead}"[^>]*selected', form)
    assert f'value="{CUSTOMER}"' in form
    assert not re.search(r'<option value="\d+"[^>]*selected', client.get("/claims/new?lead=999999").get_data(
        as_text=True))


def test_the_expected_points_show_the_leads_share(client, login, qualified_lead):
    login("seller@example.test")
    client.get("/claims/new")
    data = {"invoice_date": today().isoformat(), "customer_inn": CUSTOMER, "lead_id": str(qualified_lead),
            "lines-0-product": "SPL-09", "lines-0-quantity": "2", "lines-0-price": "50 000"}
    with_lead = client.post("/claims/preview", data=data).get_json()
    without = client.post("/claims/preview", data={**data, "lead_id": ""}).get_json()
    share = [a for a in with_lead["awards"] if a["rule"] == f"Доля лида №{qualified_lead}"]
    assert share and share[0]["points"] == 1000  # 1 % of 100,000 RUB
    assert with_lead["total"] == without["total"] + 1000


def test_a_sale_to_the_leads_customer_is_linked_unless_the_seller_chooses_no_lead(app, client, login,
                                                                                  qualified_lead):
    login("seller@example.test")
    claim = {"invoice_number": "УПД-9", "invoice_date": today().isoformat(), "customer_name": "ООО «Покупатель»",
             "customer_inn": CUSTOMER, "lines-0-product": "SPL-09", "lines-0-quantity": "1",
             "lines-0-price": "50 000", "scan": (io.BytesIO(b"%PDF-1.4 x"), "upd.pdf"), "action": "save"}
    assert client.post("/claims/new", data={**claim, "lead_id": ""},
                       content_type="multipart/form-data").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Claim.lead_id)) is None
    linked = client.post("/claims/new", data={**claim, "invoice_number": "УПД-10", "lead_id": str(qualified_lead),
                                              "scan": (io.BytesIO(b"%PDF-1.4 x"), "upd.pdf")},
                         content_type="multipart/form-data")
    page = client.get(linked.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="expected-lead-share">500<' in page  # 1 % of 50,000 RUB, before approval


def test_the_lead_a_sale_closes_is_found_by_inn_company_and_window(db, make):
    manager = make.user(role=MANAGER)
    company = make.company()
    seller, colleague = make.user(company=company), make.user(company=company)
    stranger = make.user()
    channel = f.channel()
    theirs = f.lead(colleague, channel.id, customer_inn=CUSTOMER)
    services.qualify_lead(theirs, manager)
    day = local_date(theirs.submitted_at)
    assert services.matching_lead(seller, CUSTOMER, day) == theirs  # a colleague's lead: the same company
    assert services.matching_lead(stranger, CUSTOMER, day) is None
    assert services.matching_lead(seller, "500100732259", day) is None
    assert services.matching_lead(seller, CUSTOMER, day - timedelta(days=1)) is None  # before its window
    assert services.resolve_claim_lead(seller, None, CUSTOMER, day) == theirs.id
    assert services.resolve_claim_lead(seller, "", CUSTOMER, day) is None
    assert db.session.get(Lead, theirs.id).status == "qualified"
