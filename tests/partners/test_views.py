import pytest
from sqlalchemy import select

from portal.auth.models import MANAGER, PARTNER_ADMIN, User
from portal.extensions import db
from portal.partners.models import APPROVED, PENDING, Invitation, PartnerCompany


@pytest.mark.parametrize("path", ["/console/people", "/console/companies", "/console/companies/new"])
def test_participant_cannot_open_the_console(client, login, make, path):
    make.user(email="seller@example.test")
    login("seller@example.test")
    response = client.get(path)
    assert response.status_code == 403
    assert "недоступна" in response.get_data(as_text=True)


def test_anonymous_is_sent_to_login(client):
    response = client.get("/console/people")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_partner_admin_cannot_approve_companies(client, login, make):
    make.user(role=PARTNER_ADMIN, email="head@example.test")
    company = make.company(status=PENDING)
    login("head@example.test")
    assert client.post(f"/console/companies/{company.id}/approve").status_code == 403


def test_manager_searches_and_filters_people(client, login, make):
    make.user(role=MANAGER, email="manager@example.test")
    make.user(full_name="Соколова Анна", audience="manager")
    make.user(full_name="Котов Иван", audience="specialist")
    login("manager@example.test")
    page = client.get("/console/people?q=анна").get_data(as_text=True)  # case-insensitive, in Cyrillic
    assert "Соколова Анна" in page and "Котов Иван" not in page
    page = client.get("/console/people?audience=specialist").get_data(as_text=True)
    assert "Котов Иван" in page and "Соколова Анна" not in page


def test_people_search_finds_names_emails_and_phones_through_the_index(app, client, login, make):
    make.user(role=MANAGER, email="manager@example.test")
    anna = make.user(full_name="Смирнова Анна", email="anna.smirnova@example.test")
    petr = make.user(full_name="Иванов Пётр", email="p4999@example.test")
    with app.app_context():
        db.session.get(User, anna.id).phone = "+79161234999"
        db.session.get(User, petr.id).phone = "+79035550011"
        db.session.commit()
    login("manager@example.test")

    def found(q):
        page = client.get("/console/people", query_string={"q": q}).get_data(as_text=True)
        return {name for name in ("Смирнова Анна", "Иванов Пётр") if name in page}

    assert found("СМИРН") == found("смирнова") == {"Смирнова Анна"}  # any case, Cyrillic, a part of the name
    assert found("ётр") == {"Иванов Пётр"}
    assert found("anna.smir") == {"Смирнова Анна"}
    assert found("916 123") == found("+7 (916) 123-49") == {"Смирнова Анна"}  # a phone as people type it
    assert found("p4999@") == {"Иванов Пётр"}  # an email part is not read as the phone digits 4999
    assert found("4999") == {"Смирнова Анна", "Иванов Пётр"}  # digits alone: the phone and the email
    assert found("ан") == {"Смирнова Анна", "Иванов Пётр"}  # shorter than a trigram: compared row by row
    assert found("щщщ") == set()


def test_manager_approves_a_pending_company_and_staff_are_told(app, client, login, make, mailbox):
    make.user(role=MANAGER, email="manager@example.test")
    company = make.company(status=PENDING, name="ООО «Ждущая»")
    make.user(company=company, email="waiting@example.test")
    login("manager@example.test")
    page = client.get("/console/companies").get_data(as_text=True)
    assert page.index("ООО «Ждущая»") < page.index("</tbody>")
    client.post(f"/console/companies/{company.id}/approve")
    with app.app_context():
        assert db.session.get(PartnerCompany, company.id).status == APPROVED
    assert "ООО «Ждущая»" in mailbox.last_to("waiting@example.test")["Subject"]


def test_manager_moves_a_participant(app, client, login, make):
    make.user(role=MANAGER, email="manager@example.test")
    target = make.company(name="ООО «Новое место»")
    person = make.user()
    login("manager@example.test")
    response = client.post(f"/console/people/{person.id}/move", data={"move-inn": target.inn}, follow_redirects=True)
    assert "ООО «Новое место»" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, person.id).company_id == target.id


def test_partner_admin_invites_a_colleague_who_registers_in_the_same_company(app, client, login, make, mailbox):
    company = make.company(name="ООО «Команда»")
    make.user(role=PARTNER_ADMIN, company=company, email="head@example.test")
    login("head@example.test")
    response = client.post("/team", data={"email": "colleague@example.test"}, follow_redirects=True)
    assert "colleague@example.test" in response.get_data(as_text=True)
    link = mailbox.link_in(mailbox.last_to("colleague@example.test")).replace("http://localhost", "")

    newcomer = app.test_client()
    page = newcomer.get(link).get_data(as_text=True)
    assert "ООО «Команда»" in page and 'value="colleague@example.test"' in page
    response = newcomer.post(link, data={
        "full_name": "Коллега Новый Человек", "email": "colleague@example.test", "phone": "+79161112233",
        "audience": "specialist", "inn": "7707083893",  # a different INN sent by the browser is ignored
        "password": "colleague1", "password_confirm": "colleague1", "accept_rules": "y", "accept_personal_data": "y",
    })
    assert response.status_code == 302  # same address as invited: confirmed and signed in at once
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "colleague@example.test"))
        assert user.company_id == company.id
        assert db.session.scalar(select(Invitation)).accepted_by_id == user.id
    # The link is single-use.
    assert app.test_client().get(link).status_code == 302


def test_partner_admin_cannot_revoke_another_companys_invitation(app, client, login, make):
    make.user(role=PARTNER_ADMIN, email="head@example.test")
    make.user(role=PARTNER_ADMIN, email="other-head@example.test")
    other = app.test_client()
    other.post("/login", data={"email": "other-head@example.test", "password": "secret123"})
    other.post("/team", data={"email": "x@example.test"})
    with app.app_context():
        invitation_id = db.session.scalar(select(Invitation.id))
    login("head@example.test")
    assert client.post(f"/team/invitations/{invitation_id}/revoke").status_code == 404
    with app.app_context():
        assert db.session.get(Invitation, invitation_id).revoked_at is None


def test_the_team_page_leads_to_the_companys_upd_articles(client, login, make):
    from portal.auth.models import PARTNER_ADMIN

    make.user(role=PARTNER_ADMIN, email="head@example.test")
    login("head@example.test")
    page = client.get("/team").get_data(as_text=True)
    assert 'href="/team/upd-articles"' in page
    assert client.get("/team/upd-articles").status_code == 200
