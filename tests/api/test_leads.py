"""Leads through the API: register, read, attach, the conflict check without a leak, idempotency, scopes,
isolation between companies, and the program team's decisions."""

import io
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from portal.api.models import LeadReference
from portal.auth.models import PARTNER_ADMIN
from portal.core.inn import make_inn
from portal.extensions import db
from portal.leads.models import QUALIFIED, REJECTED, SUBMITTED, WON, Lead
from tests import factories
from tests.api.conftest import auth
from tests.leads import factories as lf

PDF = b"%PDF-1.4\n% brief\n"


@pytest.fixture
def channel_id(app, program):
    with app.app_context():
        found = lf.channel("Канал API", "API channel").id
        lf.rule("fixed", 700)
        db.session.commit()
    return found


def lead(external_id="CRM-1", participant="seller@a.test", channel=None, inn=None, **overrides) -> dict:
    body = {
        "external_id": external_id, "participant_email": participant, "customer_name": "ООО «Северный офис»",
        "customer_inn": inn or make_inn("770712345"), "region": "Москва", "contact_name": "Петров Пётр",
        "contact_phone": "+7 916 123-45-67", "contact_email": "petrov@north-office.ru",
        "need": "Сплит-системы, 20 штук", "estimated_kopecks": 150_000_000, "channel_id": channel,
    }
    body.update(overrides)
    return body


def leads_in_db(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Lead.id)))


@pytest.fixture
def company_b_token(client, program, make_key):
    with client.application.app_context():
        from portal.partners.models import PartnerCompany

        other = db.session.get(PartnerCompany, program.other_company_id)
    admin_b = factories.user(role=PARTNER_ADMIN, company=other)
    return make_key(admin_b.id)


def test_register_read_and_list_a_lead(client, company_token, channel_id):
    channels = client.get("/api/v1/lead-channels", headers=auth(company_token)).get_json()["items"]
    assert channel_id in [c["id"] for c in channels]
    response = client.post("/api/v1/leads", json=lead(channel=channel_id), headers=auth(company_token))
    assert response.status_code == 201, response.get_json()
    made = response.get_json()
    assert made["status"] == SUBMITTED and made["external_id"] == "CRM-1" and made["conflict"] is False
    assert made["participant_email"] == "seller@a.test" and made["contact_phone"] == "+79161234567"
    assert [e["action"] for e in made["history"]] == [SUBMITTED] and made["notice"]
    again = client.post("/api/v1/leads", json=lead(channel=channel_id), headers=auth(company_token))
    assert again.status_code == 200 and again.get_json()["id"] == made["id"]  # a resend makes no second lead
    read = client.get(f"/api/v1/leads/{made['id']}", headers=auth(company_token)).get_json()
    assert read["customer_name"] == "ООО «Северный офис»" and read["channel"] == "Канал API"
    listed = client.get("/api/v1/leads?external_id=CRM-1", headers=auth(company_token)).get_json()
    assert [item["id"] for item in listed["items"]] == [made["id"]]

    upload = client.post(f"/api/v1/leads/{made['id']}/attachments", headers=auth(company_token),
                         data={"file": (io.BytesIO(PDF), "brief.pdf")}, content_type="multipart/form-data")
    assert upload.status_code == 201 and upload.get_json()["attachments"][0]["filename"] == "brief.pdf"
    junk = client.post(f"/api/v1/leads/{made['id']}/attachments", headers=auth(company_token),
                       data={"file": (io.BytesIO(b"MZ junk"), "x.exe")}, content_type="multipart/form-data")
    assert junk.status_code == 422 and "file" in junk.get_json()["errors"]


def test_the_form_rules_answer_with_the_field_in_the_callers_language(client, company_token, channel_id):
    bad_inn = client.post("/api/v1/leads", json=lead(channel=channel_id, inn="1234567890"),
                          headers=auth(company_token, **{"Accept-Language": "en"}))
    assert bad_inn.status_code == 422 and bad_inn.content_type == "application/problem+json"
    assert bad_inn.get_json()["errors"] == {"customer_inn": ["Enter a valid INN: 10 or 12 digits with a correct "
                                                             "check digit."]}
    no_contact = client.post("/api/v1/leads", json=lead(channel=channel_id, contact_phone="", contact_email=""),
                             headers=auth(company_token))
    assert "contact_phone" in no_contact.get_json()["errors"]
    assert no_contact.headers["Content-Language"] == "ru"
    assert "телефон" in no_contact.get_json()["errors"]["contact_phone"][0]
    stranger = client.post("/api/v1/leads", json=lead(channel=channel_id, participant="seller@b.test"),
                           headers=auth(company_token))
    assert "participant_email" in stranger.get_json()["errors"]
    no_channel = client.post("/api/v1/leads", json=lead(channel=2**31 - 1), headers=auth(company_token))
    assert "channel_id" in no_channel.get_json()["errors"]


def test_a_taken_customer_is_told_without_the_other_partners_data(client, app, company_token, company_b_token,
                                                                  channel_id):
    held = client.post("/api/v1/leads", json=lead("B-1", participant="seller@b.test", channel=channel_id),
                       headers=auth(company_b_token)).get_json()
    assert held["status"] == SUBMITTED
    response = client.post("/api/v1/leads", json=lead("A-1", channel=channel_id), headers=auth(company_token))
    assert response.status_code == 201
    mine = response.get_json()
    assert mine["status"] == REJECTED and mine["conflict"] is True
    assert "another partner" in mine["rejection_reason"] or "другим партнёром" in mine["rejection_reason"]
    text = response.get_data(as_text=True)
    for secret in ("seller@b.test", f"#{held['id']}", '"conflict_lead_id"'):
        assert secret not in text, secret
    with app.app_context():
        assert db.session.get(Lead, mine["id"]).conflict_lead_id == held["id"]  # the program team sees both
    read = client.get(f"/api/v1/leads/{mine['id']}", headers=auth(company_token)).get_data(as_text=True)
    assert "seller@b.test" not in read and f"#{held['id']}" not in read


def test_company_a_reads_nothing_of_company_b(client, program, company_token, company_b_token, channel_id):
    theirs = client.post("/api/v1/leads", json=lead("SAME", participant="seller@b.test", channel=channel_id,
                                                    inn=make_inn("780198765"), customer_name="ООО «Юг»",
                                                    contact_phone="+7 921 000-00-01", contact_email="a@south.ru"),
                         headers=auth(company_b_token)).get_json()
    mine = client.post("/api/v1/leads", json=lead("SAME", channel=channel_id), headers=auth(company_token))
    assert mine.status_code == 201 and mine.get_json()["id"] != theirs["id"]  # ids are unique per company
    assert client.get(f"/api/v1/leads/{theirs['id']}", headers=auth(company_token)).status_code == 404
    for query in (f"company_id={program.other_company_id}", "external_id=SAME", "status=submitted", ""):
        items = client.get(f"/api/v1/leads?{query}", headers=auth(company_token)).get_json()["items"]
        assert [item["id"] for item in items] == [mine.get_json()["id"]], query
    upload = client.post(f"/api/v1/leads/{theirs['id']}/attachments", headers=auth(company_token),
                         data={"file": (io.BytesIO(PDF), "a.pdf")}, content_type="multipart/form-data")
    assert upload.status_code == 404


def test_scopes_are_enforced(client, program, make_key, channel_id):
    claims_only = make_key(program.admin_id, ["claims:write", "claims:read"])
    assert client.post("/api/v1/leads", json=lead(channel=channel_id), headers=auth(claims_only)).status_code == 403
    assert client.get("/api/v1/leads", headers=auth(claims_only)).status_code == 403
    reader = make_key(program.admin_id, ["leads:read"])
    assert client.get("/api/v1/leads", headers=auth(reader)).status_code == 200
    assert client.post("/api/v1/leads", json=lead(channel=channel_id), headers=auth(reader)).status_code == 403
    writer = make_key(program.admin_id, ["leads:write"])
    assert client.post("/api/v1/leads", json=lead(channel=channel_id), headers=auth(writer)).status_code == 201
    assert client.get("/api/v1/leads/queue", headers=auth(writer)).status_code == 403
    assert client.post("/api/v1/leads/1/qualify", headers=auth(writer)).status_code == 403
    staff_queue_only = make_key(program.manager_id, ["queue:read"])
    assert client.get("/api/v1/leads/queue", headers=auth(staff_queue_only)).status_code == 403
    staff = make_key(program.manager_id)
    assert client.post("/api/v1/leads", json=lead(channel=channel_id), headers=auth(staff)).status_code == 403


def test_a_company_key_cannot_choose_program_scopes(app, program):
    from portal.api import services as keys
    from portal.auth.models import User
    from portal.core.errors import DomainError

    with app.app_context():
        admin = db.session.get(User, program.admin_id)
        with pytest.raises(DomainError):
            keys.create_key(admin, "CRM", ["leads:write", "leads:review"])


def test_the_program_team_qualifies_rejects_and_closes(client, app, company_token, program_token, channel_id):
    first = client.post("/api/v1/leads", json=lead("Q-1", channel=channel_id), headers=auth(company_token))
    second = client.post("/api/v1/leads", json=lead("Q-2", channel=channel_id, inn=make_inn("500112233"),
                                                    customer_name="ООО «Другой»", contact_phone="",
                                                    contact_email="boss@other-firm.ru"),
                         headers=auth(company_token))
    first, second = first.get_json()["id"], second.get_json()["id"]
    queue = client.get("/api/v1/leads/queue", headers=auth(program_token)).get_json()
    assert [item["id"] for item in queue["items"]] == [first, second]

    qualified = client.post(f"/api/v1/leads/{first}/qualify", headers=auth(program_token))
    assert qualified.status_code == 200, qualified.get_json()
    assert qualified.get_json()["status"] == QUALIFIED and qualified.get_json()["reward_points"] == 700
    assert qualified.get_json()["protected_until"]
    assert [e["action"] for e in qualified.get_json()["history"]] == [SUBMITTED, QUALIFIED]
    twice = client.post(f"/api/v1/leads/{first}/qualify", headers=auth(program_token))
    assert twice.status_code == 409 and twice.content_type == "application/problem+json"
    assert twice.get_json()["current_status"] == QUALIFIED and twice.get_json()["current_status_label"]

    no_reason = client.post(f"/api/v1/leads/{second}/reject", json={"reason": " "}, headers=auth(program_token))
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["errors"]
    rejected = client.post(f"/api/v1/leads/{second}/reject", json={"reason": "Клиент вне программы"},
                           headers=auth(program_token)).get_json()
    assert rejected["status"] == REJECTED and rejected["rejection_reason"] == "Клиент вне программы"

    won = client.post(f"/api/v1/leads/{first}/close", json={"outcome": "won"}, headers=auth(program_token))
    assert won.status_code == 200 and won.get_json()["status"] == WON
    assert client.get("/api/v1/leads/queue", headers=auth(program_token)).get_json()["items"] == []
    mine = client.get(f"/api/v1/leads/{first}", headers=auth(company_token)).get_json()
    assert [e["action"] for e in mine["history"]] == [SUBMITTED, QUALIFIED, WON]
    assert client.post(f"/api/v1/leads/{first}/qualify", headers=auth(company_token)).status_code == 403


def test_fifty_parallel_posts_with_one_key_make_one_lead(app, company_token, channel_id):
    body = lead("PAR-1", channel=channel_id)
    headers = auth(company_token, **{"Idempotency-Key": "lead-parallel"})

    def post(_n):
        return app.test_client().post("/api/v1/leads", json=body, headers=headers)

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(post, range(50)))
    assert {r.status_code for r in responses} <= {201, 409}, [r.status_code for r in responses]
    assert len({r.get_json()["id"] for r in responses if r.status_code == 201}) == 1
    assert leads_in_db(app) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(LeadReference.id))) == 1


def test_fifty_parallel_posts_of_one_lead_id_without_a_key_make_one_lead(app, company_token, channel_id):
    body = lead("PAR-2", channel=channel_id)

    def post(_n):
        return app.test_client().post("/api/v1/leads", json=body, headers=auth(company_token))

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(post, range(50)))
    assert {r.status_code for r in responses} <= {200, 201, 409, 422}
    assert leads_in_db(app) == 1


def test_a_won_customer_stays_held_through_the_api(client, app, company_token, company_b_token, program_token,
                                                   channel_id):
    held = client.post("/api/v1/leads", json=lead("B-7", participant="seller@b.test", channel=channel_id),
                       headers=auth(company_b_token)).get_json()
    pending = client.post("/api/v1/leads", json=lead("A-7", channel=channel_id), headers=auth(company_token))
    assert pending.get_json()["conflict"] is True
    assert "ожидает проверки" in pending.get_json()["notice"] and "защищён" not in pending.get_json()["notice"]
    qualified = client.post(f"/api/v1/leads/{held['id']}/qualify", headers=auth(program_token)).get_json()
    won = client.post(f"/api/v1/leads/{held['id']}/close", json={"outcome": "won"}, headers=auth(program_token))
    assert won.get_json()["status"] == WON and won.get_json()["protected_until"] > qualified["protected_until"]
    again = client.post("/api/v1/leads", json=lead("A-8", channel=channel_id), headers=auth(company_token))
    assert again.status_code == 201
    mine = again.get_json()
    assert mine["status"] == REJECTED and mine["conflict"] is True
    assert "защищён другим партнёром до" in mine["notice"] and f"#{held['id']}" not in again.get_data(as_text=True)
    refused = client.post(f"/api/v1/leads/{mine['id']}/qualify", headers=auth(program_token))
    assert refused.status_code == 409 and refused.get_json()["current_status"] == REJECTED


def test_parallel_posts_of_one_customer_from_two_companies_leave_one_holder(app, company_token, company_b_token,
                                                                           channel_id):
    bodies = [(lead(f"A-P{n}", channel=channel_id), company_token) for n in range(5)]
    bodies += [(lead(f"B-P{n}", participant="seller@b.test", channel=channel_id), company_b_token) for n in range(5)]

    def post(item):
        body, token = item
        return app.test_client().post("/api/v1/leads", json=body, headers=auth(token))

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(post, bodies))
    assert {r.status_code for r in responses} <= {201, 422}, [(r.status_code, r.get_json()) for r in responses]
    made = [r.get_json() for r in responses if r.status_code == 201]
    assert [m["status"] for m in made].count(SUBMITTED) == 1
    assert all(m["conflict"] for m in made if m["status"] != SUBMITTED)
    for refused in (r.get_json() for r in responses if r.status_code == 422):
        assert "#" in refused["detail"]  # the participant's own lead of this customer, by number
    with app.app_context():
        assert db.session.scalar(select(func.count(Lead.id)).where(Lead.holder_inn.is_not(None))) == 1
