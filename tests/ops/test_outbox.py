"""Mail through the outbox: written with the action, delivered by the worker with retries, never lost or doubled."""

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.auth.models import MANAGER
from portal.claims import services as claims
from portal.claims.models import APPROVED, Claim
from portal.claims.notifications import send_decision
from portal.core.mail import send_email
from portal.core.time import frozen_time, utcnow
from portal.extensions import db
from portal.ops import outbox
from portal.ops.models import MAIL_FAILED, MAIL_PENDING, MAIL_SENT, MAIL_SUPPRESSED, OutboxMessage
from tests.claims import factories as f


def _mail(to: str, account_mail: bool = False) -> OutboxMessage:
    send_email(to, "auth/email/reset_subject.txt", "auth/email/reset_body.txt", locale="ru",
               account_mail=account_mail, user=None, link="http://localhost/x")
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()


def test_a_refused_mail_arrives_after_retries_once_with_the_same_message_id(db, make, mailbox, queue):
    make.user(email="anna@example.test")
    mailbox.refuse_next = 2
    start = utcnow()
    with frozen_time(start):
        message = _mail("anna@example.test")
        db.session.commit()
        queue()  # the worker runs the task handed over at commit: first attempt, refused
    message_id = message.message_id
    db.session.refresh(message)
    assert (message.status, message.attempts, mailbox.messages) == (MAIL_PENDING, 1, [])
    assert "451" in message.last_error
    assert message.next_attempt_at == start + timedelta(seconds=30)
    assert outbox.deliver_due_mail(start + timedelta(seconds=20)) == 0  # backing off: not yet
    assert outbox.deliver_due_mail(start + timedelta(seconds=30)) == 0  # second attempt, refused
    db.session.refresh(message)
    assert (message.attempts, message.next_attempt_at) == (2, start + timedelta(seconds=90))  # 30 s, then 60 s
    assert outbox.deliver_due_mail(start + timedelta(seconds=90)) == 1
    assert outbox.deliver_due_mail(start + timedelta(hours=1)) == 0
    db.session.refresh(message)
    assert (message.status, message.attempts) == (MAIL_SENT, 3)
    assert [m["Message-ID"] for m in mailbox.messages] == [message_id]
    assert mailbox.attempts == [message_id] * 3


def test_after_the_last_attempt_the_mail_is_failed_and_a_manager_resends_it(app, client, login, make, mailbox):
    make.user(role=MANAGER, email="boss@example.test")
    make.user(email="anna@example.test")
    app.config["MAIL_MAX_ATTEMPTS"], saved = 2, app.config["MAIL_MAX_ATTEMPTS"]
    try:
        mailbox.refuse_next = 2
        with app.test_request_context():
            _mail("anna@example.test")
            db.session.commit()  # attempt 1, at once (immediate queue in tests)
            outbox.deliver_due_mail(utcnow() + timedelta(minutes=5))  # attempt 2: the last
            message = db.session.scalar(select(OutboxMessage))
            assert (message.status, message.attempts) == (MAIL_FAILED, 2)
            message_id = message.id
    finally:
        app.config["MAIL_MAX_ATTEMPTS"] = saved
    login("boss@example.test")
    page = client.get("/console/mail").get_data(as_text=True)
    assert "anna@example.test" in page and "451" in page
    assert client.post(f"/console/mail/{message_id}/resend", follow_redirects=True).status_code == 200
    assert len(mailbox.to("anna@example.test")) == 1
    assert "anna@example.test" not in client.get("/console/mail").get_data(as_text=True)
    assert client.post(f"/console/mail/{message_id}/resend", follow_redirects=True).status_code == 200
    assert len(mailbox.to("anna@example.test")) == 1  # a delivered mail is not sent twice


def test_participants_do_not_see_the_outbox(client, login, make):
    make.user(email="anna@example.test")
    login("anna@example.test")
    assert client.get("/console/mail").status_code == 403
    assert client.post("/console/mail/1/resend").status_code == 403


def test_a_rolled_back_decision_leaves_no_mail(db, make, mailbox):
    seller = make.user(email="seller@example.test")
    manager = make.user(role=MANAGER, email="boss@example.test")
    f.product()
    f.per_unit_rule(100)
    claim = f.submitted(seller)
    db.session.commit()
    claims.approve_claim(claim, manager)
    send_decision(claim)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert outbox.deliver_due_mail() == 0
    assert mailbox.messages == []


def test_mail_waits_for_the_real_commit_not_a_savepoint(db, mailbox):
    _mail("someone@example.test", account_mail=True)
    with db.session.begin_nested():  # a savepoint released (an API batch item) is not the commit
        db.session.flush()
    assert mailbox.messages == []
    db.session.rollback()
    assert mailbox.messages == []
    assert outbox.deliver_due_mail() == 0


@pytest.mark.parametrize(("who", "account_mail", "expected"), [
    ("nobody", False, MAIL_SENT),  # an invitation: no account behind the address
    ("confirmed", False, MAIL_SENT),
    ("unconfirmed", True, MAIL_SENT),  # the confirmation link and the password reset
    ("unconfirmed", False, MAIL_SUPPRESSED),
    ("deactivated", False, MAIL_SUPPRESSED),
    ("deactivated", True, MAIL_SUPPRESSED),  # nothing at all to a deactivated account
])
def test_delivery_rule(db, make, mailbox, who, account_mail, expected):
    address = f"{who}@example.test"
    if who != "nobody":
        make.user(email=address, confirmed=who != "unconfirmed", active=who != "deactivated")
    message = _mail(address, account_mail=account_mail)
    db.session.commit()
    db.session.refresh(message)
    assert message.status == expected
    assert len(mailbox.to(address)) == (1 if expected == MAIL_SENT else 0)


def test_bulk_approval_of_100_claims_answers_without_smtp_and_the_worker_delivers_100_mails(
        app, client, login, make, mailbox, queue):
    seller = make.user(email="seller@example.test")
    make.user(role=MANAGER, email="boss@example.test")
    with app.app_context():
        from portal.auth.models import User

        f.product()
        f.per_unit_rule(100)
        person = db.session.get(User, seller.id)
        ids = [f.submitted(person, number=f"N-{n}").id for n in range(100)]
        db.session.commit()
    login("boss@example.test")
    mailbox.delay = 5.0  # a slow mail server: the page would take minutes if it waited on it
    response = client.post("/console/claims/bulk", data={"claim_ids": ids, "action": "approve",
                                                          "reason_code": "other", "note": ""})
    assert response.status_code == 302
    assert mailbox.attempts == []  # the request talked to no mail server
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Claim).where(Claim.status == APPROVED)) == 100
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.status == MAIL_PENDING)) == 100
    mailbox.delay = 0.0
    queue()
    assert len(mailbox.to("seller@example.test")) == 100
    assert len({m["Message-ID"] for m in mailbox.messages}) == 100


def test_two_workers_never_send_the_same_mail(app, make, mailbox, queue):
    make.user(email="anna@example.test")
    with app.test_request_context():
        message_id = _mail("anna@example.test").id
        db.session.commit()
    mailbox.delay = 1.0  # the first worker is still talking to the server when the second one looks
    results = {}

    def deliver(key):
        with app.app_context():
            results[key] = outbox.deliver_mail(message_id)

    first = threading.Thread(target=deliver, args=("first",))
    first.start()
    for _ in range(100):
        if mailbox.attempts:
            break
        time.sleep(0.02)
    deliver("second")
    first.join(10)
    assert results == {"first": True, "second": False}
    assert len(mailbox.messages) == 1


def test_sent_mail_is_forgotten_after_30_days_but_undelivered_mail_stays(db, make, mailbox):
    make.user(email="anna@example.test")
    sent_id = _mail("anna@example.test").id
    db.session.commit()
    failed = _mail("anna@example.test")
    failed.status = MAIL_FAILED
    db.session.commit()
    failed_id = failed.id
    assert db.session.get(OutboxMessage, sent_id).status == MAIL_SENT
    assert outbox.prune_sent_mail(utcnow() + timedelta(days=29)) == 0
    assert outbox.prune_sent_mail(utcnow() + timedelta(days=31)) == 1
    assert db.session.scalars(select(OutboxMessage.id)).all() == [failed_id]
