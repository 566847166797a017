"""Who decides a person's audience on the pages: the partner admin on the team page, the program on the person page."""

from sqlalchemy import select

from portal.auth.models import ADMIN, MANAGER, PARTNER_ADMIN, User
from portal.extensions import db
from portal.partners.models import AudienceSpan


def audience_of(app, user) -> str | None:
    with app.app_context():
        return db.session.get(User, user.id).audience


def spans(app, user) -> list[tuple[str, int | None]]:
    with app.app_context():
        return [(s.audience, s.changed_by_id) for s in db.session.scalars(
            select(AudienceSpan).where(AudienceSpan.user_id == user.id).order_by(AudienceSpan.id))]


def test_participant_cannot_change_their_own_audience_in_the_profile(app, client, login, make):
    user = make.user(email="me@example.test", audience="manager")
    login("me@example.test")
    page = client.get("/profile").get_data(as_text=True)
    assert 'name="audience"' not in page
    assert "Менеджер" in page and "администратор партнёра или команда программы" in page
    response = client.post("/profile", data={
        "full_name": "Новое Имя Человека", "phone": "8 916 000 11 22", "audience": "specialist", "locale": "ru",
    }, follow_redirects=True)
    assert "Профиль сохранён" in response.get_data(as_text=True)
    assert audience_of(app, user) == "manager"
    assert spans(app, user) == []


def test_partner_admin_changes_a_colleagues_audience_on_the_team_page(app, client, login, make):
    company = make.company()
    head = make.user(role=PARTNER_ADMIN, company=company, email="head@example.test")
    colleague = make.user(company=company, audience="manager", full_name="Котов Иван")
    login("head@example.test")
    page = client.get("/team").get_data(as_text=True)
    assert f'action="/team/people/{colleague.id}/audience"' in page
    assert f'action="/team/people/{head.id}/audience"' not in page  # not one's own
    response = client.post(f"/team/people/{colleague.id}/audience", data={"audience": "specialist"},
                           follow_redirects=True)
    assert response.status_code == 200
    assert "Котов Иван: аудитория «Специалист» с сегодняшнего дня." in response.get_data(as_text=True)
    assert audience_of(app, colleague) == "specialist"
    assert spans(app, colleague) == [("manager", None), ("specialist", head.id)]


def test_partner_admin_bad_audience_changes_are_refused_with_a_message(app, client, login, make):
    company = make.company()
    make.user(role=PARTNER_ADMIN, company=company, email="head@example.test")
    colleague = make.user(company=company, audience="manager")
    stranger = make.user(audience="manager")
    login("head@example.test")
    cases = [
        (stranger, {"audience": "specialist"}, "только сотрудников своей компании"),
        (colleague, {"audience": "boss"}, "Выберите аудиторию"),
        (colleague, {}, "Выберите аудиторию"),
        (colleague, {"audience": "manager"}, "уже в аудитории"),
    ]
    for person, data, message in cases:
        response = client.post(f"/team/people/{person.id}/audience", data=data, follow_redirects=True)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
    assert client.post("/team/people/999999/audience", data={"audience": "manager"}).status_code == 404
    assert audience_of(app, stranger) == audience_of(app, colleague) == "manager"
    assert spans(app, stranger) == spans(app, colleague) == []


def test_participant_cannot_post_an_audience_change(app, client, login, make):
    company = make.company()
    make.user(company=company, email="me@example.test")
    colleague = make.user(company=company, audience="manager")
    login("me@example.test")
    assert client.post(f"/team/people/{colleague.id}/audience", data={"audience": "specialist"}).status_code == 403
    assert client.post(f"/console/people/{colleague.id}/audience",
                       data={"audience-audience": "specialist"}).status_code == 403
    assert audience_of(app, colleague) == "manager"


def test_manager_changes_an_audience_and_the_person_page_shows_its_history(app, client, login, make):
    make.user(role=MANAGER, email="manager@example.test", full_name="Петрова Мария")
    seller = make.user(audience="specialist")
    login("manager@example.test")
    response = client.post(f"/console/people/{seller.id}/audience", data={"audience-audience": "manager"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "аудитория «Менеджер» с сегодняшнего дня" in page
    assert audience_of(app, seller) == "manager"
    history = page.split('data-testid="audience-history"')[1].split("</table>")[0]
    assert history.count("<tr>") == 3  # the header and two spans
    assert "Петрова Мария" in history and "Специалист" in history and "при регистрации" in history


def test_manager_bad_audience_input_is_a_message_not_an_error(app, client, login, make):
    make.user(role=ADMIN, email="admin@example.test")
    staff = make.user(role=MANAGER)
    seller = make.user(audience="specialist")
    login("admin@example.test")
    for person, value, message in [(staff, "manager", "У сотрудника команды программы нет аудитории"),
                                   (seller, "boss", "Выберите аудиторию")]:
        response = client.post(f"/console/people/{person.id}/audience", data={"audience-audience": value},
                               follow_redirects=True)
        assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert audience_of(app, staff) is None and audience_of(app, seller) == "specialist"
    page = client.get(f"/console/people/{staff.id}").get_data(as_text=True)
    assert 'name="audience-audience"' not in page  # no audience form for the program team
