"""News: safe text, targeting, scheduling, one pinned item, notifications and mail copies, who read a must-read."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.auth.models import MANAGER, PARTNER_ADMIN
from portal.core.errors import DomainError
from portal.core.time import utcnow
from portal.extensions import db
from portal.news import services
from portal.news.models import NewsItem, NewsRead
from portal.notifications import mailing
from portal.notifications.models import Notification
from tests.contests import helpers as h

ALL_ON = {"decisions": True, "contests": True, "news": True, "reminders": True, "reports": True}


@pytest.fixture
def manager(make):
    return make.user(role=MANAGER)


def told(news_id: int) -> set[int]:
    return set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "news_published")))


def test_a_text_with_a_script_is_refused_in_words(db, manager):
    for body in ("<p>Привет</p><script>alert(1)</script>", '<img src="x" onerror="alert(1)">',
                 '<a href="javascript:alert(1)">ссылка</a>'):
        with pytest.raises(DomainError, match="script|скрипт") as error:
            services.save_news(None, services.NewsData(title="Новость", body=body), manager)
        assert error.value.field == "body"
    item = services.save_news(None, services.NewsData(title="Новость", body='<p>Текст <b>жирный</b> '
                                                      '<a href="https://example.com">ссылка</a></p>'), manager)
    assert "<b>жирный</b>" in item.body and 'rel="noopener noreferrer"' in item.body


def test_a_schedule_in_the_past_is_refused(db, manager):
    with pytest.raises(DomainError) as error:
        services.save_news(None, services.NewsData(title="Новость", body="<p>Текст</p>",
                                                   publish_at=utcnow() - timedelta(hours=1)), manager)
    assert error.value.field == "publish_at"


def test_publishing_tells_the_targeted_people_and_mails_only_those_who_consented(db, make, manager, mailbox):
    moscow, kazan = make.company(region="Москва"), make.company(region="Казань")
    anna = make.user(company=moscow, email="anna@example.test")
    boris = make.user(company=moscow, email="boris@example.test", audience="specialist")
    vera = make.user(company=kazan, email="vera@example.test")
    mailing.save_preferences(anna, ALL_ON, digest=False, marketing=True)
    item = services.save_news(None, services.NewsData(title="Акция", body="<p>Текст</p>", target="regions",
                                                      target_values=["Москва"], mail_copy=True), manager)
    db.session.commit()
    assert told(item.id) == {anna.id, boris.id}
    assert [m["To"] for m in mailbox.messages] == [anna.email]  # boris gave no consent to news mail
    assert mailbox.last_to(anna.email)["List-Unsubscribe"]
    assert services.is_for(item, vera) is False and services.is_for(item, anna) is True
    audience = services.save_news(None, services.NewsData(title="Специалистам", body="<p>Т</p>", target="audiences",
                                                          target_values=["specialist"]), manager)
    assert services.is_for(audience, boris) and not services.is_for(audience, anna)
    companies = services.save_news(None, services.NewsData(title="Казани", body="<p>Т</p>", target="companies",
                                                           target_values=[kazan.id]), manager)
    assert services.is_for(companies, vera) and not services.is_for(companies, boris)
    group = h.group("Золото", kazan)
    grouped = services.save_news(None, services.NewsData(title="Золоту", body="<p>Т</p>", target="groups",
                                                         target_values=[group.id]), manager)
    assert services.is_for(grouped, vera) and not services.is_for(grouped, anna)


def test_scheduled_news_is_published_once_by_the_job(db, make, manager):
    anna = make.user()
    at = utcnow() + timedelta(hours=2)
    item = services.save_news(None, services.NewsData(title="Скоро", body="<p>Т</p>", publish_at=at), manager)
    db.session.commit()
    assert told(item.id) == set() and services.news_for(anna) == []
    assert services.publish_due_news(at - timedelta(minutes=1)) == 0
    assert services.publish_due_news(at) == 1
    assert services.publish_due_news(at + timedelta(hours=1)) == 0
    assert told(item.id) == {anna.id}


def test_one_pinned_item_comes_first(db, make, manager):
    anna = make.user()
    first = services.save_news(None, services.NewsData(title="Первая", body="<p>Т</p>", pinned=True), manager)
    second = services.save_news(None, services.NewsData(title="Вторая", body="<p>Т</p>"), manager)
    assert [i.id for i in services.news_for(anna)] == [first.id, second.id]
    third = services.save_news(None, services.NewsData(title="Третья", body="<p>Т</p>", pinned=True), manager)
    db.session.expire_all()
    assert db.session.get(NewsItem, first.id).pinned is False
    assert services.news_for(anna)[0].id == third.id


def test_partner_admin_sees_who_of_their_company_read_a_must_read(app, client, login, make):
    company, other = make.company(), make.company()
    head = make.user(role=PARTNER_ADMIN, company=company, email="head@example.test", locale="en")
    anna = make.user(company=company, email="anna@example.test", full_name="Анна Читала")
    make.user(company=company, full_name="Борис Нечитал")
    make.user(company=other, full_name="Вера Чужая")
    boss = make.user(role=MANAGER, email="boss@example.test")
    with app.app_context():
        item = services.save_news(None, services.NewsData(title="Важно", body="<p>Т</p>", must_read=True),
                                  db.session.get(type(boss), boss.id))
        db.session.commit()
        news_id = item.id
    login(anna.email)
    assert client.get(f"/news/{news_id}").status_code == 200
    assert client.get(f"/news/{news_id}/readers").status_code == 404  # not for participants
    login(head.email)
    page = client.get(f"/news/{news_id}/readers").text
    assert "Анна Читала" in page and "Борис Нечитал" in page and "Вера Чужая" not in page
    assert "Read: 1 of 3." in page
    with app.app_context():
        assert db.session.scalar(select(NewsRead.user_id)) == anna.id


def test_manager_writes_news_and_participants_find_it(app, client, login, make):
    make.user(role=MANAGER, email="boss@example.test", locale="en")
    make.user(email="anna@example.test", locale="en")
    login("boss@example.test")
    refused = client.post("/news/new", data={"title": "Новость", "body": "<script>x</script>", "target": "all"})
    assert refused.status_code == 200 and "javascript: link" in refused.text
    late = client.post("/news/new", data={"title": "Новость", "body": "<p>Т</p>", "target": "all",
                                          "publish_at": "2020-01-01T10:00"})
    assert late.status_code == 200 and "in the past" in late.text
    saved = client.post("/news/new", data={"title": "Новая акция", "title_en": "New promotion",
                                           "body": "<p>Текст</p>", "body_en": "<p>Text</p>", "target": "all"})
    assert saved.status_code == 302
    login("anna@example.test")
    home = client.get("/home").text
    assert 'data-testid="home-news"' in home and "New promotion" in home
    assert "News: Новая акция" in client.get("/notifications/").text


@pytest.mark.parametrize(("target", "values"), [
    ("companies", [999_999]), ("companies", [2**40]), ("groups", [12345]), ("audiences", ["boss"]),
    ("regions", ["x" * 500]), ("companies", []),
])
def test_a_target_that_does_not_exist_is_refused(db, make, manager, target, values):
    make.company()
    with pytest.raises(DomainError) as error:
        services.save_news(None, services.NewsData(title="Т", body="<p>Т</p>", target=target, target_values=values),
                           manager)
    assert error.value.field == "target"


def test_hostile_form_values_are_answered_on_the_form(client, login, make):
    make.user(role=MANAGER, email="boss@example.test", locale="en")
    login("boss@example.test")
    for values in ({"target": "companies", "companies": "9" * 40}, {"target": "groups", "groups": "1e309"},
                   {"target": "nobody"}, {"target": "all", "publish_at": "２０２６-13-45"}):
        response = client.post("/news/new", data={"title": "Т", "body": "<p>Т</p>", **values})
        assert response.status_code == 200
