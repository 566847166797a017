import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.auth.models import MANAGER, PARTNER_ADMIN, User
from portal.claims.models import Claim
from portal.core.time import today
from portal.extensions import db
from portal.leads import services
from portal.leads.models import QUALIFIED, REJECTED, SUBMITTED, Lead, LeadAttachment, LeadChannel, LeadRewardRule
from portal.program.services import get_settings
from tests.claims import factories as cf
from tests.leads import factories as f


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)


@pytest.fixture
def setup(app):
    """A channel, a product and lead rules; returns the channel id."""
    with app.app_context():
        get_settings().first_sale_bonus = 0
        channel = f.channel("Выставка для тестов", "Test exhibition")
        cf.product()
        f.rule("fixed", 400)
        f.rule("revenue_pct", 1)
        db.session.commit()
        return channel.id


def lead_form(channel_id, **overrides):
    data = {
        "customer_name": "ООО «Северный офис»", "customer_inn": "7707083893", "customer_kpp": "773601001",
        "region": "Москва", "contact_name": "Петров Пётр", "contact_phone": "8 (916) 555-12-34",
        "contact_email": "petrov@sever-office.ru", "need": "Сплит-системы в офис", "category": "Сплит-системы",
        "estimated_amount": "450 000", "expected_close_date": (today() + timedelta(days=30)).isoformat(),
        "channel_id": str(channel_id), "comment": "Встретились на выставке",
        "attachments": [(io.BytesIO(f.PDF), "brief.pdf")],
    }
    data.update(overrides)
    return data


def _qualify(lead_id, manager_id):
    services.qualify_lead(db.session.get(Lead, lead_id), db.session.get(User, manager_id))
    db.session.commit()


def test_participant_registers_a_lead_and_sees_its_history(app, client, login, make, setup):
    make.user(email="seller@example.test")
    login("seller@example.test")
    assert "Лиды" in client.get("/leads").get_data(as_text=True)
    form = client.get("/leads/new").get_data(as_text=True)
    assert "Выставка для тестов" in form and "Сплит-системы" in form
    response = client.post("/leads/new", data=lead_form(setup), content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "зарегистрирован" in page and "+7 (916) 555-12-34" in page and "brief.pdf" in page
    with app.app_context():
        lead = db.session.scalar(select(Lead))
        assert (lead.status, lead.contact_phone, lead.estimated_kopecks) == (SUBMITTED, "+79165551234", 45_000_000)
        assert lead.email_domain == "sever-office.ru" and lead.customer_kpp == "773601001"
        attachment = db.session.scalar(select(LeadAttachment))
    with client.get(f"/leads/{lead.id}/files/{attachment.id}") as response:
        assert response.data == f.PDF
    assert "ООО «Северный офис»" in client.get("/leads").get_data(as_text=True)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"customer_inn": "7707083890"}, "ИНН"),
        ({"contact_phone": "12345"}, "+7"),
        ({"estimated_amount": "NaN"}, "рублях"),
        ({"estimated_amount": "1e309"}, "рублях"),
        ({"channel_id": "99999999999999999999999999999999999999"}, "откуда пришёл"),
        ({"customer_name": "x" * 10_000}, "200"),
        ({"attachments": [(io.BytesIO(b"MZ\x90\x00"), "virus.exe")]}, "PDF"),
    ],
)
def test_bad_input_is_explained_never_a_500(app, client, login, make, setup, overrides, message):
    make.user(email="seller@example.test")
    login("seller@example.test")
    response = client.post("/leads/new", data={**lead_form(setup), **overrides}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Lead)) is None


def test_a_taken_customer_is_reported_without_the_other_partners_data(app, client, login, make, setup):
    make.user(email="first@example.test", full_name="Первова Анна")
    make.user(email="second@example.test")
    make.user(role=MANAGER, email="manager@example.test")
    login("first@example.test")
    client.post("/leads/new", data=lead_form(setup), content_type="multipart/form-data")
    login("second@example.test")
    response = client.post("/leads/new", data=lead_form(setup, customer_inn="500100732259",
                                                           customer_name="Северный офис ООО", contact_email="",
                                                           contact_phone="+7 916 000 00 00"),
                           content_type="multipart/form-data", follow_redirects=True)
    page = response.get_data(as_text=True)
    # The first lead awaits review: it is not called protected.
    assert "уже зарегистрирован другим партнёром и ожидает проверки" in page and "Первова" not in page
    assert "защищён" not in page
    with app.app_context():
        first, taken = db.session.scalars(select(Lead).order_by(Lead.id)).all()
        assert (taken.status, taken.conflict_lead_id) == (REJECTED, first.id)
    login("manager@example.test")
    page = client.get(f"/leads/{taken.id}").get_data(as_text=True)
    assert "Первова Анна" in page and f"#{first.id}" in page  # managers see both side by side
    assert 'data-testid="compare"' in page and "petrov@sever-office.ru" in page


def test_a_colleagues_customer_is_named_as_the_colleagues_and_a_won_one_stays_protected(app, client, login, make,
                                                                                        setup):
    company = make.company()
    make.user(email="first@example.test", full_name="Первова Анна", company=company)
    make.user(email="colleague@example.test", company=company)
    make.user(email="stranger@example.test")
    manager = make.user(role=MANAGER, email="manager@example.test")
    login("first@example.test")
    client.post("/leads/new", data=lead_form(setup), content_type="multipart/form-data")
    login("colleague@example.test")
    page = client.post("/leads/new", data=lead_form(setup, contact_email="", contact_phone="+7 916 000 00 00"),
                       content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    with app.app_context():
        held = db.session.scalar(select(Lead).order_by(Lead.id))
    assert f"вашим коллегой Первова Анна (лид #{held.id}) и ожидает проверки" in page
    assert "другим партнёром" not in page
    with app.app_context():
        _qualify(held.id, manager.id)
        services.close_lead(db.session.get(Lead, held.id), db.session.get(User, manager.id), won=True)
        db.session.commit()
    login("first@example.test")
    assert "Клиент закреплён за участником Первова Анна до" in client.get(f"/leads/{held.id}").get_data(as_text=True)
    login("stranger@example.test")
    page = client.post("/leads/new", data=lead_form(setup, contact_email="", contact_phone="+7 916 000 00 01"),
                       content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "уже зарегистрирован и защищён другим партнёром до" in page and "Первова" not in page


def test_nobody_reaches_another_companys_lead_or_attachment(app, client, login, make, setup):
    company = make.company()
    owner = make.user(company=company, email="owner@example.test")
    make.user(role=PARTNER_ADMIN, company=company, email="head@example.test")
    make.user(email="stranger@example.test")
    make.user(role=PARTNER_ADMIN, email="otherhead@example.test")
    login("owner@example.test")
    client.post("/leads/new", data=lead_form(setup), content_type="multipart/form-data")
    with app.app_context():
        lead_id = db.session.scalar(select(Lead.id))
        file_id = db.session.scalar(select(LeadAttachment.id))
    for email in ("stranger@example.test", "otherhead@example.test"):
        login(email)
        assert client.get(f"/leads/{lead_id}").status_code == 404
        assert client.get(f"/leads/{lead_id}/files/{file_id}").status_code == 404
        assert client.post(f"/leads/{lead_id}/extension").status_code == 404
        assert "Северный офис" not in client.get("/team/leads").get_data(as_text=True) if "head" in email else True
        assert client.get("/console/leads").status_code == 403
        assert client.post(f"/console/leads/{lead_id}/qualify").status_code == 403
    login("head@example.test")
    assert client.get(f"/leads/{lead_id}").status_code == 200
    with client.get(f"/leads/{lead_id}/files/{file_id}") as response:
        assert response.status_code == 200
    assert "Северный офис" in client.get("/team/leads").get_data(as_text=True)
    login("owner@example.test")
    assert client.get("/leads/99999999999999999999999999999999999999").status_code == 404
    assert client.get(f"/leads/{lead_id}/files/99999999999999999999").status_code == 404
    assert owner.id


def test_manager_queue_filters_and_bulk_decides(app, client, login, make, setup):
    sellers = [make.user(email=f"s{n}@example.test") for n in range(3)]
    make.user(role=MANAGER, email="manager@example.test")
    with app.app_context():
        ids = [f.lead(db.session.get(User, s.id), setup).id for s in sellers]
        db.session.commit()
    login("manager@example.test")
    page = client.get("/console/leads").get_data(as_text=True)
    assert all(f"#{i}" in page for i in ids)
    for args in ("?page=1e309", "?status=nonsense&sort=x", "?channel=99999999999999999999999&company=-1",
                 "?date_from=2026-13-45&date_to=x", "?q=" + "я" * 10_000, "?extension=1"):
        assert client.get("/console/leads" + args).status_code == 200
    response = client.post("/console/leads/bulk", data={"action": "qualify", "reason_code": "other",
                                                          "lead_ids": [str(ids[0]), str(ids[1])]})
    assert response.status_code == 302
    client.post("/console/leads/bulk", data={"action": "reject", "reason_code": "incomplete", "note": "Нет телефона",
                                             "lead_ids": [str(ids[2]), "abc", "9" * 40]})
    with app.app_context():
        statuses = [db.session.get(Lead, i).status for i in ids]
        assert statuses == [QUALIFIED, QUALIFIED, REJECTED]
        assert db.session.get(Lead, ids[2]).rejection_reason.endswith("Нет телефона")
        assert db.session.get(Lead, ids[0]).reward_points == 400
    detail = client.get(f"/leads/{ids[0]}").get_data(as_text=True)
    assert 'data-testid="extend"' in detail and 'data-testid="close-lead"' in detail
    client.post(f"/console/leads/{ids[0]}/extend")
    client.post(f"/console/leads/{ids[0]}/close", data={"outcome": "lost", "note": "Купили у другого"})
    with app.app_context():
        lead = db.session.get(Lead, ids[0])
        assert (lead.status, lead.extensions_used) == ("lost", 1)
    assert client.post("/console/leads/99999999999999999999/qualify").status_code == 404


def test_sale_naming_the_lead_earns_its_share_explained_on_claim_and_statement(app, client, login, make, setup):
    seller = make.user(email="seller@example.test")
    manager = make.user(role=MANAGER, email="manager@example.test")
    with app.app_context():
        lead_id = f.lead(db.session.get(User, seller.id), setup, customer_inn="7707083893").id
        db.session.commit()
        _qualify(lead_id, manager.id)
    login("seller@example.test")
    form = client.get("/claims/new").get_data(as_text=True)
    assert 'data-testid="claim-lead-box"' in form and 'data-inn="7707083893"' in form
    claim = {
        "invoice_number": "УПД-77", "invoice_date": today().isoformat(), "customer_name": "ООО «Покупатель»",
        "customer_inn": "7707083893", "lead_id": str(lead_id),
        "lines-0-product": "SPL-09", "lines-0-quantity": "2", "lines-0-price": "50 000",
        "scan": (io.BytesIO(b"%PDF-1.4 x"), "upd.pdf"), "action": "submit",
    }
    bad = client.post("/claims/new", data={**claim, "customer_inn": "500100732259",
                                           "scan": (io.BytesIO(b"%PDF-1.4 x"), "upd.pdf")},
                      content_type="multipart/form-data")
    assert bad.status_code == 200 and "7707083893" in bad.get_data(as_text=True)
    assert client.post("/claims/new", data=claim, content_type="multipart/form-data").status_code == 302
    with app.app_context():
        claim_id = db.session.scalar(select(Claim.id).where(Claim.lead_id == lead_id))
    login("manager@example.test")
    client.post(f"/console/claims/{claim_id}/approve")
    login("seller@example.test")
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert 'data-testid="lead-share-points">1\xa0000<' in page or 'data-testid="lead-share-points">1 000<' in page
    assert "1\xa0% от" in page or "1 % от" in page or "1% от" in page
    statement = client.get("/points").get_data(as_text=True)
    assert f"Лид #{lead_id} квалифицирован" in statement
    assert f"Доля продажи № {claim_id}" in statement
    lead_page = client.get(f"/leads/{lead_id}").get_data(as_text=True)
    assert "Выиграна" in lead_page or "Выигран" in lead_page


def test_channels_rewards_settings_and_report_pages(app, client, login, make, setup):
    make.user(role=MANAGER, email="manager@example.test")
    login("manager@example.test")
    assert client.get("/console/leads/channels").status_code == 200
    client.post("/console/leads/channels", data={"name_ru": "Вебинар", "name_en": "Webinar", "position": "5",
                                                 "active": "y"})
    dup = client.post("/console/leads/channels", data={"name_ru": "вебинар", "position": "5"})
    assert "уже есть" in dup.get_data(as_text=True)
    with app.app_context():
        webinar = db.session.scalar(select(LeadChannel).where(LeadChannel.name_ru == "Вебинар"))
        assert webinar.name_en == "Webinar" and webinar.position == 5
    assert client.get("/console/leads/channels/99999999999999999999").status_code == 404
    assert client.get("/console/leads/settings").status_code == 200
    for value in ("NaN", "1e309", "-5", "Infinity"):
        response = client.post("/console/leads/rewards/new", data={"name": "Плохое", "kind": "fixed", "value": value})
        assert response.status_code == 200
    client.post("/console/leads/rewards/new", data={"name": "Вебинар: 2%", "kind": "revenue_pct", "value": "2",
                                                    "channel_id": str(webinar.id), "active": "y"})
    with app.app_context():
        assert db.session.scalar(select(LeadRewardRule).where(LeadRewardRule.name == "Вебинар: 2%")).channel_id \
            == webinar.id
        assert db.session.scalar(select(LeadRewardRule).where(LeadRewardRule.name == "Плохое")) is None
    response = client.post("/console/leads/settings", data={
        "protection_days": "45", "extension_days": "15", "max_extensions": "3", "attribution_days": "120",
        "max_cost_per_lead": "1 500", "reminder_days": "10, 3", "won_protection_days": "200"})
    assert response.status_code == 302
    bad = client.post("/console/leads/settings", data={
        "protection_days": "45", "extension_days": "15", "max_extensions": "3", "attribution_days": "120",
        "max_cost_per_lead": "", "reminder_days": "100", "won_protection_days": "200"})
    assert bad.status_code == 200
    no_won_period = client.post("/console/leads/settings", data={
        "protection_days": "45", "extension_days": "15", "max_extensions": "3", "attribution_days": "120",
        "max_cost_per_lead": "", "reminder_days": "7", "won_protection_days": "2000"})
    assert no_won_period.status_code == 200 and "От 1 до 1096" in no_won_period.get_data(as_text=True)
    with app.app_context():
        settings = services.get_lead_settings()
        assert (settings.protection_days, settings.max_cost_per_lead_kopecks, settings.reminder_days,
                settings.won_protection_days) == (45, 150_000, [10, 3], 200)
    assert 'value="200"' in client.get("/console/leads/settings").get_data(as_text=True)
    page = client.get("/console/leads/report").get_data(as_text=True)
    assert 'data-testid="report-table"' in page
    for args in ("?group=participant", "?group=company&date_from=2026-01-01&date_to=2026-12-31", "?group=zzz",
                 "?date_from=1e309"):
        assert client.get("/console/leads/report" + args).status_code == 200
    csv = client.get("/console/leads/report?format=csv")
    assert csv.mimetype == "text/csv" and "Источник" in csv.get_data(as_text=True)
    xlsx = client.get("/console/leads/report?format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet["B1"].value == "Зарегистрировано лидов"


def test_my_leads_are_cached_per_person_and_a_decision_or_a_channel_name_shows_at_once(app, client, login, make,
                                                                                     setup):
    from sqlalchemy import event

    seller = make.user(email="seller@example.test")
    manager = make.user(role=MANAGER, email="manager@example.test")
    with app.app_context():
        lead_id = f.lead(db.session.get(User, seller.id), setup).id
        db.session.commit()
    login("seller@example.test")

    def my_leads(path="/leads") -> tuple[str, int]:
        seen = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            page = client.get(path).get_data(as_text=True)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return page, len(seen)

    first, _ = my_leads()
    again, statements = my_leads()
    assert again == first and statements == 1  # from the cache: only the signed-in person is read
    assert f"#{lead_id}<" in first and "Выставка для тестов" in first
    with app.app_context():  # the manager qualifies it in another request
        _qualify(lead_id, manager.id)
    assert "защищён до" in my_leads()[0]
    with app.app_context():
        db.session.get(LeadChannel, setup).name_ru = "Выставка переименована"
        db.session.commit()
    assert "Выставка переименована" in my_leads()[0]
    long_query = "/leads?q=" + "x" * 400  # not cached, still the page (not escaped HTML)
    assert 'data-testid="leads"' in my_leads(long_query)[0]
