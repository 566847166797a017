"""Invitations and reminders: at most the configured mails an hour, reminders N and M days after the invitation,
nothing more to a company that joined or an address that unsubscribed, nothing from a paused campaign."""

from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from portal.auth import registration
from portal.auth.models import MANAGER
from portal.auth.services import Registration
from portal.core.time import frozen_time
from portal.extensions import db
from portal.ops.models import OutboxMessage
from portal.recruitment import services
from portal.recruitment.models import UNSUBSCRIBED, RecruitmentInvitee
from portal.recruitment.sending import send_recruitment_mail
from tests.recruitment import helpers as h

START = datetime(2026, 10, 5, 9, 0)


@pytest.fixture
def manager(make):
    return make.user(role=MANAGER)


@pytest.fixture
def rate(app):
    saved = app.config["RECRUITMENT_MAILS_PER_HOUR"], app.config["RECRUITMENT_REMINDER_DAYS"]
    app.config.update(RECRUITMENT_MAILS_PER_HOUR=3, RECRUITMENT_REMINDER_DAYS=(3, 7))
    yield
    app.config["RECRUITMENT_MAILS_PER_HOUR"], app.config["RECRUITMENT_REMINDER_DAYS"] = saved


def run(moment: datetime) -> int:
    with frozen_time(moment):
        return send_recruitment_mail(moment)


def mails_to(address: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == address)
                                   .order_by(OutboxMessage.id)))


def test_a_run_sends_at_most_the_hours_rate_over_all_campaigns(db, manager, rate):
    h.campaign(manager, *(h.row() for _ in range(4)), name="Первая")
    h.campaign(manager, *(h.row() for _ in range(2)), name="Вторая")
    db.session.commit()
    assert run(START) == 3
    assert run(START + timedelta(minutes=30)) == 0  # the hour's three are spent
    assert run(START + timedelta(minutes=61)) == 3
    assert run(START + timedelta(minutes=200)) == 0  # everyone invited; no reminder is due yet
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 6


def test_reminders_go_after_n_and_m_days_and_never_a_third(english, db, manager, rate, mailbox):
    campaign = h.campaign(manager, h.row(email="anna@example.test", language="en"))
    db.session.commit()
    run(START)
    for day, expected in [(1, 0), (2, 0), (3, 1), (4, 0), (6, 0), (7, 1), (8, 0), (30, 0)]:
        assert run(START + timedelta(days=day, minutes=1)) == expected, day
    mails = mails_to("anna@example.test")
    assert [m.subject for m in mails] == ["ООО «Климат» is invited to the partner program"] + [
        "Reminder: ООО «Климат» is invited to the partner program"] * 2
    invitee = db.session.scalar(select(RecruitmentInvitee).where(RecruitmentInvitee.campaign_id == campaign.id))
    assert invitee.reminders == 2
    message = mailbox.last_to("anna@example.test")
    assert message["List-Unsubscribe"].startswith("<http://localhost/recruitment/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/register?invite=" in mailbox.body(message)


def test_mail_stops_at_once_when_the_company_registers(db, manager, rate):
    inn = h.inn()
    h.campaign(manager, h.row(inn, email="boss@example.test"), h.row(email="other@example.test"))
    db.session.commit()
    run(START)
    with frozen_time(START + timedelta(days=1)):
        registration.submit_registration(Registration(
            full_name="Сотрудник Иван", email="worker@example.test", phone="+79161234567", birthday=None,
            audience="manager", job_title="", password="okna2026x", inn=inn, company_name="ООО «Климат»",
            company_region="Москва", accepted_rules=True, accepted_personal_data=True))
        db.session.commit()
    assert run(START + timedelta(days=3, minutes=1)) == 1  # only the other company is reminded
    assert len(mails_to("boss@example.test")) == 1 and len(mails_to("other@example.test")) == 2


def test_mail_stops_for_an_address_that_unsubscribed_and_the_link_is_one_click(english, db, manager, rate, mailbox,
                                                                              make_app):
    h.campaign(manager, h.row(email="no@example.test"))
    db.session.commit()
    run(START)
    path = urlsplit(mailbox.last_to("no@example.test")["List-Unsubscribe"].strip("<>")).path
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    asked = client.get(path)
    assert asked.status_code == 200 and b'data-testid="unsubscribe"' in asked.data
    assert db.session.scalar(select(RecruitmentInvitee.stopped)) is None  # opening the link changes nothing
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200  # replayed: still off
    db.session.expire_all()
    assert db.session.scalar(select(RecruitmentInvitee.stopped)) == UNSUBSCRIBED
    assert run(START + timedelta(days=3, minutes=1)) == 0
    # A later campaign leaves the address out.
    assert str(h.preview(h.row(email="no@example.test")).rows[0].skipped) == \
        "the contact unsubscribed from recruitment mail"


@pytest.mark.parametrize("locale, words", [("ru", "Ссылка для отписки недействительна"),
                                           ("en", "This unsubscribe link is not valid")])
def test_a_forged_unsubscribe_link_is_refused_in_words(client, locale, words):
    client.set_cookie("locale", locale)
    response = client.post("/recruitment/unsubscribe/garbage.x.y")
    assert response.status_code == 400 and words in response.get_data(as_text=True)


def test_a_paused_campaign_sends_nothing_until_resumed(db, manager, rate):
    campaign = h.campaign(manager, h.row())
    services.set_paused(campaign, True)
    db.session.commit()
    assert run(START) == 0
    services.set_paused(campaign, False)
    db.session.commit()
    assert run(START + timedelta(minutes=5)) == 1


def test_a_contact_who_joins_another_company_gets_no_more_mail_and_the_funnel_stays_empty(english, db, make,
                                                                                          manager, rate):
    campaign = h.campaign(manager, h.row(email="olga@example.test"))
    db.session.commit()
    run(START)
    other = make.company()
    with frozen_time(START + timedelta(days=1)):
        registration.submit_registration(Registration(
            full_name="Ольга Смирнова", email="olga@example.test", phone="+79161234567", birthday=None,
            audience="manager", job_title="", password="okna2026x", inn=other.inn, company_name=other.name,
            company_region="Москва", accepted_rules=True, accepted_personal_data=True))
        db.session.commit()
    assert run(START + timedelta(days=3, minutes=1)) == 0
    assert {s.step: s.count for s in services.funnel(campaign.id)[1]}["registered"] == 0
