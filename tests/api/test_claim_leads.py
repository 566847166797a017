"""Sales linked to their leads through the API: by lead_id, by the partner's own lead id, or by the customer INN;
and the lead's share on the claim object."""

import base64
from datetime import timedelta

import pytest

from portal.api.models import LeadReference
from portal.auth.models import User
from portal.core.time import utcnow
from portal.extensions import db
from portal.leads import services as leads
from tests.api.conftest import auth, sale
from tests.leads import factories as lf

PDF = b"%PDF-1.4\nfake invoice"
CUSTOMER = "7707083893"


@pytest.fixture
def lead_of(app, program):
    """lead_of(user_id, qualified=True, external_id=None) -> the id of a lead for CUSTOMER, registered 5 days ago."""

    def factory(user_id, qualified=True, external_id=None, customer_inn=CUSTOMER):
        with app.app_context():
            channel = lf.channel()
            lf.rule("revenue_pct", 1)
            user = db.session.get(User, user_id)
            lead = lf.lead(user, channel.id, customer_inn=customer_inn)
            lead.submitted_at = utcnow() - timedelta(days=5)
            if qualified:
                leads.qualify_lead(lead, db.session.get(User, program.manager_id))
            if external_id:
                db.session.add(LeadReference(company_id=lead.company_id, external_id=external_id, lead_id=lead.id))
            db.session.commit()
            return lead.id

    return factory


def scanned(**overrides) -> dict:
    scan = {"filename": "invoice.pdf", "content_base64": base64.b64encode(PDF).decode()}
    return sale(customer_inn=CUSTOMER, scan=scan, **overrides)


def test_a_sale_to_the_customer_of_a_colleagues_qualified_lead_is_linked_with_its_share(client, company_token,
                                                                                        program, lead_of):
    lead_id = lead_of(program.admin_id)  # registered by the partner admin, sold by the seller
    response = client.post("/api/v1/claims", json=scanned(), headers=auth(company_token))
    assert response.status_code == 201, response.get_json()
    claim = response.get_json()
    assert claim["lead_id"] == lead_id
    assert claim["lead_share"] == 1080  # 1 % of 108,000 RUB of revenue, at a rouble a point
    assert claim["lead_external_id"] is None


def test_a_sale_names_its_lead_by_the_partners_own_id(client, company_token, program, lead_of):
    lead_id = lead_of(program.seller_id, external_id="CRM-9")
    response = client.post("/api/v1/claims", json=scanned(lead_external_id="CRM-9"), headers=auth(company_token))
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["lead_id"], response.get_json()["lead_external_id"]) == (lead_id, "CRM-9")
    unknown = client.post("/api/v1/claims", json=scanned(external_id="DOC-2", lead_external_id="CRM-404"),
                          headers=auth(company_token))
    assert unknown.status_code == 422 and "lead_external_id" in unknown.get_json()["errors"]


def test_a_lead_not_qualified_or_of_another_company_is_refused_and_none_is_linked_without_a_match(
        client, company_token, program, lead_of):
    submitted = lead_of(program.seller_id, qualified=False)
    foreign = lead_of(program.other_seller_id, customer_inn="500100732259")
    for lead_id in (submitted, foreign):
        response = client.post("/api/v1/claims", json=scanned(lead_id=lead_id), headers=auth(company_token))
        assert response.status_code == 422 and "lead_id" in response.get_json()["errors"], response.get_json()
    plain = client.post("/api/v1/claims", json=scanned(), headers=auth(company_token))
    assert plain.status_code == 201
    assert (plain.get_json()["lead_id"], plain.get_json()["lead_share"]) == (None, None)


def test_approval_credits_the_share_the_claim_object_showed(client, app, company_token, program_token, program,
                                                            lead_of):
    lead_of(program.seller_id)
    claim = client.post("/api/v1/claims", json=scanned(), headers=auth(company_token)).get_json()
    approved = client.post(f"/api/v1/claims/{claim['id']}/approve", headers=auth(program_token))
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["lead_share"] == claim["lead_share"] > 0


def test_the_sales_import_names_the_lead_by_number_or_the_partners_own_id(client, app, login, program, lead_of):
    from tests.api.test_import import DAY, admin_email, claims, confirmation, upload

    first = lead_of(program.seller_id, external_id="CRM-1")
    header = "Номер;Дата;Продавец;Контрагент;ИНН;Артикул;Количество;Цена;Лид"
    rows = [f"СЧ-1;{DAY};{program.seller_email};ООО «Альфа»;{CUSTOMER};SPL-09;2;49 000,00;CRM-1",
            f"СЧ-2;{DAY};{program.seller_email};ООО «Альфа»;{CUSTOMER};SPL-09;1;49 000,00;{first}"]
    login(admin_email(app, program))
    page = upload(client, ("\n".join([header, *rows]) + "\n").encode("utf-8")).get_data(as_text=True)
    assert "confirm-import" in page, page
    client.post("/integrations/import/confirm", data=confirmation(page))
    assert [claim.lead_id for claim in claims(app)] == [first, first]


def test_the_sales_import_names_an_unknown_lead_in_its_report(client, app, login, program):
    from tests.api.test_import import DAY, admin_email, claims, upload

    header = "Номер;Дата;Продавец;Контрагент;ИНН;Артикул;Количество;Цена;Лид"
    row = f"СЧ-1;{DAY};{program.seller_email};ООО «Альфа»;{CUSTOMER};SPL-09;2;49 000,00;CRM-404"
    login(admin_email(app, program))
    page = upload(client, (header + "\n" + row + "\n").encode("utf-8")).get_data(as_text=True)
    assert "У вашей компании нет лида с таким идентификатором." in page
    assert "confirm-import" not in page and claims(app) == []
