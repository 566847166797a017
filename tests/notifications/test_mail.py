"""Mail people choose: categories, account mail always on, one-click unsubscribe (RFC 8058), marketing consent,
the weekly digest."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from portal.auth import notifications as account_mail
from portal.auth.models import MANAGER
from portal.claims import notifications as claim_mail
from portal.claims import services as claims
from portal.contests import notifications as contest_mail
from portal.core.mail import send_email
from portal.core.time import frozen_time, utcnow
from portal.extensions import db
from portal.notifications import mailing
from portal.notifications.digest import send_digests
from portal.notifications.models import MailPreference, MarketingConsent, Notification
from portal.ops.models import OutboxMessage
from portal.program.services import get_settings
from tests.claims import factories as cf
from tests.contests import helpers as h

ALL_ON = {"decisions": True, "contests": True, "news": True, "reminders": True, "reports": True}


@pytest.fixture
def seller(make):
    return make.user(email="seller@example.test", locale="en")


@pytest.fixture
def manager(make):
    return make.user(role=MANAGER)


@pytest.fixture
def catalogue(db):
    h.catalogue()
    cf.per_unit_rule(100)
    get_settings().first_sale_bonus = 0


def decide(seller, manager):
    claim = cf.submitted(seller)
    claims.approve_claim(claim, manager)
    claim_mail.send_decision(claim)
    db.session.commit()
    return claim


def mails_to(address: str) -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.to_address == address))


def unsubscribe_path(mailbox, address: str) -> str:
    header = mailbox.last_to(address)["List-Unsubscribe"]
    return urlsplit(header.strip("<>")).path


def test_category_mail_carries_one_click_unsubscribe_headers_and_a_footer_link(db, seller, manager, catalogue,
                                                                               mailbox):
    decide(seller, manager)
    message = mailbox.last_to(seller.email)
    link = message["List-Unsubscribe"].strip("<>")
    assert link.startswith("http://localhost/notifications/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in mailbox.body(message)  # the footer link works without signing in too


def test_account_mail_has_no_unsubscribe_and_goes_with_every_category_off(db, seller, mailbox):
    mailing.save_preferences(seller, {}, digest=False, marketing=False)
    account_mail.send_password_reset(seller)
    db.session.commit()
    message = mailbox.last_to(seller.email)
    assert message["List-Unsubscribe"] is None
    assert "reset" in mailbox.body(message).lower() or "/reset" in mailbox.body(message)


def test_a_category_turned_off_writes_no_mail_but_the_notification_stays(db, seller, manager, catalogue, mailbox):
    mailing.save_preferences(seller, dict(ALL_ON, decisions=False), digest=False, marketing=False)
    decide(seller, manager)
    assert mails_to(seller.email) == 0
    assert "claim_approved" in db.session.scalars(select(Notification.kind)).all()


def test_news_goes_only_to_people_who_consented_and_the_consent_keeps_its_version(app, db, seller, mailbox):
    def news():
        return send_email(seller.email, "notifications/email/digest_subject.txt",
                          "notifications/email/digest_body.txt", locale="en", category="news", user=seller,
                          lines=[("Новости", None)], link="http://localhost/")

    assert news() is None  # no consent: not written
    mailing.save_preferences(seller, ALL_ON, digest=False, marketing=True, ip_address="10.0.0.1")
    consent = db.session.scalar(select(MarketingConsent))
    assert (consent.version, consent.ip_address, consent.withdrawn_at) == (mailing.marketing_version(), "10.0.0.1",
                                                                           None)
    assert news() is not None
    mailing.save_preferences(seller, ALL_ON, digest=False, marketing=False)
    assert db.session.get(MarketingConsent, consent.id).withdrawn_at is not None
    assert news() is None


def test_one_click_post_unsubscribes_without_a_session_or_a_form_token(db, seller, manager, catalogue, mailbox,
                                                                       make_app):
    decide(seller, manager)
    path = unsubscribe_path(mailbox, seller.email)
    strict = make_app(WTF_CSRF_ENABLED=True).test_client()
    response = strict.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200, response.text
    db.session.expire_all()
    assert db.session.get(MailPreference, seller.id).decisions is False
    assert db.session.get(MailPreference, seller.id).contests is True
    # Replayed: refused with a translated message, nothing else changes.
    mailing.save_preferences(seller, ALL_ON, digest=False, marketing=False)
    db.session.commit()
    strict.set_cookie("locale", "en")
    again = strict.post(path, data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 400 and b"has been used already" in again.data
    db.session.expire_all()
    assert db.session.get(MailPreference, seller.id).decisions is True


def test_opening_the_link_asks_before_unsubscribing(db, client, seller, manager, catalogue, mailbox):
    decide(seller, manager)
    page = client.get(unsubscribe_path(mailbox, seller.email))
    assert page.status_code == 200 and b'data-testid="unsubscribe"' in page.data
    db.session.expire_all()
    assert db.session.get(MailPreference, seller.id) is None  # a link scanner changes nothing


@pytest.mark.parametrize("damage", [
    lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # signature forged
    lambda token: "garbage",
    lambda token: token.split(".")[0] + ".x.y",
])
def test_a_forged_link_is_refused_in_words(db, client, seller, manager, catalogue, mailbox, damage):
    decide(seller, manager)
    path = unsubscribe_path(mailbox, seller.email)
    prefix, token = path.rsplit("/", 1)
    client.set_cookie("locale", "en")
    for method in (client.get, client.post):
        response = method(f"{prefix}/{damage(token)}")
        assert response.status_code == 400 and b"is not valid" in response.data
    db.session.expire_all()
    assert db.session.get(MailPreference, seller.id) is None


def test_a_link_of_another_person_is_refused_while_signed_in(db, client, login, make, seller, manager, catalogue,
                                                             mailbox):
    decide(seller, manager)
    path = unsubscribe_path(mailbox, seller.email)
    other = make.user(email="other@example.test", locale="en")
    login(other.email)
    response = client.post(path)
    assert response.status_code == 400
    assert "sent to another account" in response.text or "отправлена другой учётной записи" in response.text
    db.session.expire_all()
    assert db.session.get(MailPreference, seller.id) is None


def test_an_expired_link_is_refused(db, client, seller, manager, catalogue, mailbox):
    decide(seller, manager)
    path = unsubscribe_path(mailbox, seller.email)
    client.set_cookie("locale", "en")
    with frozen_time(utcnow() + timedelta(days=400)):
        import time

        real = time.time
        time.time = lambda: real() + 400 * 86400  # itsdangerous reads the real clock
        try:
            response = client.post(path)
        finally:
            time.time = real
    assert response.status_code == 400 and b"has expired" in response.data


def test_digest_replaces_single_contest_mails_with_one_weekly_mail(app, make, mailbox):
    with app.test_request_context():
        boss = make.user(role="manager")
        anna = make.user(email="anna@example.test", locale="en")
        h.catalogue()
        mailing.save_preferences(anna, ALL_ON, digest=True, marketing=False)
        contest = h.contest(boss)
        db.session.commit()
        contest_mail.send_start(contest, anna)
        db.session.commit()
        assert mailbox.to(anna.email) == []  # the digest carries it
        now = utcnow() + timedelta(minutes=1)
        assert send_digests(now) == 1
        digest = mailbox.last_to(anna.email)
        assert "Весенний спринт" in mailbox.body(digest) and digest["List-Unsubscribe"]
        assert send_digests(now + timedelta(days=1)) == 0  # weekly
        # Unsubscribing from the digest turns off what it carries.
        client = app.test_client()
        assert client.post(urlsplit(digest["List-Unsubscribe"].strip("<>")).path).status_code == 200
        db.session.expire_all()
        preference = db.session.get(MailPreference, anna.id)
        assert (preference.contests, preference.news, preference.decisions) == (False, False, True)


def test_mail_settings_page_saves_the_choices_and_the_consent(client, login, make):
    person = make.user(email="p@example.test", locale="en")
    login(person.email)
    page = client.get("/notifications/mail")
    assert page.status_code == 200 and b"Mail settings" in page.data
    response = client.post("/notifications/mail", data={"decisions": "y", "contests": "y", "marketing": "y",
                                                        "digest": "y"})
    assert response.status_code == 302
    with client.application.app_context():
        preference = db.session.get(MailPreference, person.id)
        assert (preference.decisions, preference.contests, preference.news, preference.reports,
                preference.digest) == (True, True, False, False, True)
        assert db.session.scalar(select(MarketingConsent.version).where(MarketingConsent.user_id == person.id))
