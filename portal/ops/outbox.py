"""The mail outbox: mail is a row written in the transaction of the action that causes it.

A rolled-back decision leaves no mail; a committed one is handed to the worker right after the commit and
delivered with retries and exponential backoff, with the same Message-ID on every attempt.

Delivery rule (checked when the mail is about to go, so a later deactivation still counts):
- an address with no account behind it (an invitation) gets its mail;
- a deactivated account gets nothing: its mail is kept as "not sent by rule";
- an address not confirmed yet gets only mail about the account itself (the confirmation link and the
  password reset, `account_mail=True`); anything else is kept as "not sent by rule".
The rule reads the accounts, which live above this floor: portal/auth/delivery.py provides it through the hook
`recipient_refusal`, and the worker provides `hand_mail_to_worker`; create_app connects both.
"""

import logging
import os
import smtplib
import socket
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, or_, select, update
from sqlalchemy.orm import Session

from portal.core.errors import DomainError
from portal.core.hooks import Hook
from portal.core.time import utcnow
from portal.extensions import db
from portal.ops.models import MAIL_FAILED, MAIL_PENDING, MAIL_SENT, MAIL_SUPPRESSED, OutboxMessage

log = logging.getLogger("portal.mail")

QUEUED_KEY = "outbox_queued"  # ids of mail written in the session's current transaction
CLAIM_FOR = timedelta(minutes=5)
MAX_DELAY = timedelta(hours=6)

REASON_DEACTIVATED = "account deactivated"
REASON_UNCONFIRMED = "address not confirmed"

#: recipient_refusal(address, account_mail) -> one of the REASON_ values, or None when the mail may go.
recipient_refusal = Hook("the mail delivery rule (portal.ops.outbox.recipient_refusal)")
#: hand_mail_to_worker(ids), right after the commit that wrote them. The worker provides it.
hand_mail_to_worker = Hook("the worker's mail queue (portal.ops.outbox.hand_mail_to_worker)")


def queue_mail(to: str, subject: str, body: str, account_mail: bool = False,
               headers: dict[str, str] | None = None) -> OutboxMessage:
    """Write a mail into the outbox in the current transaction (flush, no commit); `headers` are extra mail
    headers (the unsubscribe headers of mail a person may turn off)."""
    domain = current_app.config.get("MAIL_MESSAGE_ID_DOMAIN") or "portal.local"
    message = OutboxMessage(
        message_id=make_msgid(domain=domain), sender=current_app.config["MAIL_DEFAULT_SENDER"],
        to_address=to.strip(), subject=subject[:400], body=body, account_mail=account_mail,
        headers=headers or None, next_attempt_at=utcnow(),
    )
    db.session.add(message)
    db.session.flush()
    db.session.info.setdefault(QUEUED_KEY, []).append(message.id)
    return message


@event.listens_for(Session, "after_commit")
def _hand_committed_mail_to_the_worker(session):
    if session.in_nested_transaction():
        return  # a savepoint released (SQLAlchemy calls that a commit too): the mail waits for the real one
    ids = session.info.pop(QUEUED_KEY, None)
    if ids:
        hand_mail_to_worker(ids)


@event.listens_for(Session, "after_rollback")
@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back_mail(session, *args):
    if not session.in_transaction():
        session.info.pop(QUEUED_KEY, None)


def uncommitted_mail() -> list[int]:
    """Mail written but neither committed nor rolled back (checked when a request ends)."""
    if not db.session.registry.has():
        return []
    return list(db.session.info.get(QUEUED_KEY, []))


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the n-th failed attempt: base, 2 x base, 4 x base ... up to six hours."""
    base = current_app.config["MAIL_RETRY_BASE_SECONDS"]
    return min(timedelta(seconds=base * 2 ** max(attempts - 1, 0)), MAX_DELAY)


def refusal_reason(message: OutboxMessage) -> str | None:
    """The delivery rule (see the module's docstring); None when the mail may go."""
    return recipient_refusal(message.to_address, message.account_mail)


def due_mail_ids(now: datetime | None = None, limit: int = 200) -> list[int]:
    now = now or utcnow()
    return list(db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == MAIL_PENDING, OutboxMessage.next_attempt_at <= now,
               or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
        .order_by(OutboxMessage.id).limit(limit)
    ))


def deliver_due_mail(now: datetime | None = None, limit: int = 200) -> int:
    """Try every mail whose time has come; return how many were sent. Commits mail by mail."""
    now = now or utcnow()
    return sum(deliver_mail(message_id, now) for message_id in due_mail_ids(now, limit))


def deliver_mail(message_id: int, now: datetime | None = None) -> bool:
    """One attempt at one mail, if it is due and no other worker has it. Commits. True when sent."""
    now = now or utcnow()
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == MAIL_PENDING,
               OutboxMessage.next_attempt_at <= now,
               or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
        .values(claimed_until=now + CLAIM_FOR)
    ).rowcount
    db.session.commit()
    if claimed != 1:
        return False
    message = db.session.get(OutboxMessage, message_id)
    reason = refusal_reason(message)
    if reason:
        message.status, message.last_error, message.claimed_until = MAIL_SUPPRESSED, reason, None
        db.session.commit()
        log.info("Mail %s to %s not sent: %s", message.id, message.to_address, reason)
        return False
    message.attempts += 1
    message.last_attempt_at = now
    try:
        transmit(build_message(message))
    except (OSError, smtplib.SMTPException) as exc:
        message.last_error = f"{type(exc).__name__}: {exc}"[:500]
        if message.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
            message.status = MAIL_FAILED
        else:
            message.next_attempt_at = now + retry_delay(message.attempts)
        message.claimed_until = None
        db.session.commit()
        log.warning("Mail %s to %s, attempt %s failed: %s", message.id, message.to_address, message.attempts,
                    message.last_error)
        return False
    message.status, message.sent_at, message.claimed_until = MAIL_SENT, now, None
    db.session.commit()
    return True


def resend_mail(message: OutboxMessage) -> None:
    """A manager sends an undelivered mail again (same Message-ID); the rule is checked again. Flushes."""
    if message.status == MAIL_SENT:
        raise DomainError(_l("This mail has been delivered already."))
    message.status = MAIL_PENDING
    message.next_attempt_at = utcnow()
    message.claimed_until = None
    db.session.flush()
    db.session.info.setdefault(QUEUED_KEY, []).append(message.id)


KEEP_SENT_FOR = timedelta(days=30)


def prune_sent_mail(now: datetime) -> int:
    """Forget sent and rule-suppressed mail after 30 days: bodies hold personal data and sign-in links. Commits."""
    removed = db.session.execute(
        OutboxMessage.__table__.delete().where(OutboxMessage.status.in_((MAIL_SENT, MAIL_SUPPRESSED)),
                                               OutboxMessage.created_at < now - KEEP_SENT_FOR)).rowcount
    db.session.commit()
    return removed


def undelivered_query(status: str = ""):
    statuses = [status] if status else [MAIL_FAILED, MAIL_PENDING, MAIL_SUPPRESSED]
    return select(OutboxMessage).where(OutboxMessage.status.in_(statuses)).order_by(OutboxMessage.id.desc())


def count_undelivered() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.status == MAIL_FAILED)) or 0


def queue_message(to: str, subject: str, body: str, account_mail: bool = False,
                  headers: dict[str, str] | None = None) -> OutboxMessage:
    """What `portal.core.mail.send_email` calls: queue the mail (flush) and return its row. (The EmailMessage is
    built when the mail is delivered: building it costs about a millisecond, in the sender's write lock.)"""
    return queue_mail(to, subject, body, account_mail=account_mail, headers=headers)


def build_message(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = message.sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email["Date"] = format_datetime(message.created_at.replace(tzinfo=UTC))
    for name, value in (message.headers or {}).items():
        email[name] = value
    email.set_content(message.body)
    return email


def transmit(email: EmailMessage) -> None:
    """SMTP when MAIL_SERVER is set; otherwise the log (and MAIL_OUTBOX_DIR), so the demo works offline."""
    config = current_app.config
    if config["MAIL_SERVER"]:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"],
                          local_hostname=socket.gethostname() or "localhost") as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(email)
        return
    if config["MAIL_OUTBOX_DIR"]:
        folder = Path(config["MAIL_OUTBOX_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        name = email["Message-ID"].strip("<>").replace("@", "_").replace(os.sep, "_") + ".eml"
        (folder / name).write_bytes(bytes(email))
    log.warning("Mail to %s: %s\n%s", email["To"], email["Subject"], email.get_content())
