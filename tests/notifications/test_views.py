"""The bell, the notifications page, marking read."""

import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.notifications import services
from portal.notifications.models import Notification
from tests.factories import PASSWORD


def add(app, user_id, kind="contest_started", **params):
    with app.app_context():
        notification = services.notify(user_id, kind, params or {"title": "Весенний спринт"}, "/contests/")
        db.session.commit()
        return notification.id


def bell(html: bytes) -> str | None:
    match = re.search(rb'data-testid="bell-count">(\d+)<', html)
    return match.group(1).decode() if match else None


def test_the_bell_shows_the_unread_count_and_the_page_lists_them(app, client, login, make):
    person = make.user(email="p@example.test", locale="en")
    first = add(app, person.id)
    add(app, person.id, "order_updated", id=7, status="shipped")
    login(person.email)
    page = client.get("/notifications/")
    assert page.status_code == 200
    assert bell(page.data) == "2"
    assert "The contest «Весенний спринт» has started." in page.data.decode()
    assert "Order #7: Shipped" in page.data.decode()
    assert client.post(f"/notifications/{first}/read").status_code == 302
    assert bell(client.get("/notifications/").data) == "1"
    opened = client.post(f"/notifications/{first}/read", data={"open": "1"})
    assert opened.status_code == 302  # read already: back to the list
    response = client.post("/notifications/read-all", follow_redirects=True)
    assert bell(response.data) is None and b"notifications marked read" in response.data


def test_opening_an_unread_notification_reads_it_and_follows_its_link(app, client, login, make):
    person = make.user(email="p@example.test", locale="en")
    notification_id = add(app, person.id)
    login(person.email)
    response = client.post(f"/notifications/{notification_id}/read", data={"open": "1"})
    assert response.status_code == 302 and response.headers["Location"] == "/contests/"
    with app.app_context():
        assert db.session.get(Notification, notification_id).read_at is not None


def test_someone_elses_notification_stays_unread(app, client, login, make):
    owner, other = make.user(), make.user(email="o@example.test")
    notification_id = add(app, owner.id)
    login(other.email)
    client.post(f"/notifications/{notification_id}/read")
    client.post("/notifications/read-all")
    with app.app_context():
        assert db.session.scalar(select(Notification.read_at).where(Notification.id == notification_id)) is None
        assert services.unread_count(owner.id) == 1


def test_the_page_speaks_russian_and_needs_a_sign_in(app, client, login, make):
    assert client.get("/notifications/").status_code == 302
    person = make.user(email="p@example.test")
    add(app, person.id, "claim_approved", id=5, points=200)
    login(person.email)
    html = client.get("/notifications/").data.decode()
    assert "Уведомления" in html and "Ваша продажа №5 одобрена: 200 баллов." in html


def test_the_bell_leaves_the_pages_own_variables_alone(app, make):
    """A page's own `unread` (the quiz's unread lessons) is not replaced by the bell's count."""
    from flask import render_template_string
    from flask_login import login_user

    from portal.auth.models import User

    person = make.user()
    add(app, person.id)
    with app.test_request_context("/"):
        login_user(db.session.get(User, person.id))
        html = render_template_string('{% extends "base.html" %}{% block content %}'
                                      '<p id="own">{{ unread|join(",") }}</p>{% endblock %}', unread=["a", "b"])
    assert '<p id="own">a,b</p>' in html
    assert bell(html.encode()) == "1"


@pytest.mark.parametrize(("locale", "back"), [("ru", "← Мой профиль"), ("en", "← My profile")])
def test_the_mail_settings_page_leads_back_to_the_profile(client, login, make, locale, back):
    """Like the other settings pages the profile opens (KPI reports by mail, the invitation link)."""
    person = make.user(email="p@example.test", locale=locale)
    login(person.email)
    html = client.get("/notifications/mail").get_data(as_text=True)
    assert f'<a href="/profile" class="small">{back}</a>' in html


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_the_cached_list_carries_each_sessions_own_csrf_token(app, make_app, make):
    """The list is cached per person; the same person signed in twice has two sessions, each with its token."""
    person = make.user(email="p@example.test", locale="en")
    first, second = add(app, person.id), add(app, person.id)
    strict = make_app(WTF_CSRF_ENABLED=True)
    browsers = [strict.test_client(), strict.test_client()]
    for browser in browsers:
        token = _token(browser.get("/login").get_data(as_text=True))
        assert browser.post("/login", data={"email": person.email, "password": PASSWORD,
                                            "csrf_token": token}).status_code == 302
    pages = [browser.get("/notifications/").get_data(as_text=True) for browser in browsers]  # the second: cached
    assert f"/notifications/{first}/read" in pages[1]
    tokens = [set(re.findall(r'name="csrf_token" type="hidden" value="([^"]+)"', page)) for page in pages]
    assert len(tokens[0]) == len(tokens[1]) == 1 and tokens[0] != tokens[1]
    for browser, token, notification_id in zip(browsers, tokens, (first, second), strict=True):
        response = browser.post(f"/notifications/{notification_id}/read", data={"csrf_token": token.pop()})
        assert response.status_code == 302
    with app.app_context():
        assert services.unread_count(person.id) == 0


def test_a_notification_read_or_pruned_leaves_the_cached_list_at_once(app, client, login, make):
    from datetime import timedelta

    from portal.core.time import utcnow

    person = make.user(email="p@example.test", locale="en")
    first, _second = add(app, person.id), add(app, person.id)
    login(person.email)
    client.get("/notifications/")
    assert client.get("/notifications/").get_data(as_text=True).count(">New<") == 2  # now from the cache
    assert 'data-testid="notifications"' in client.get("/notifications/?x=" + "y" * 200).get_data(as_text=True)
    with app.app_context():  # the mark-read statements do not go through the ORM's objects
        services.mark_read(person.id, first)
        db.session.commit()
    assert client.get("/notifications/").get_data(as_text=True).count(">New<") == 1
    with app.app_context():
        services.mark_all_read(person.id)
        db.session.commit()
    assert ">New<" not in client.get("/notifications/").get_data(as_text=True)
    with app.app_context():  # 90 days on, the retention job removes them (plain DELETE statements)
        services.prune_notifications(utcnow() + timedelta(days=91))
    page = client.get("/notifications/").get_data(as_text=True)
    assert 'data-testid="no-notifications"' in page
