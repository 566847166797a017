"""Who gets mail: the outbox's delivery rule, which reads the accounts (connected to portal.ops.outbox at start).

- an address with no account behind it (an invitation) gets its mail;
- a deactivated account gets nothing;
- an address not confirmed yet gets only mail about the account itself (`account_mail`).
"""

from sqlalchemy import select

from portal.auth.models import User
from portal.extensions import db
from portal.ops import outbox


def mail_refusal(address: str, account_mail: bool) -> str | None:
    """Why a mail to `address` must not go (an outbox REASON_), or None when it may."""
    user = db.session.scalar(select(User).where(User.email == address.lower()))
    if user is None:
        return None
    if not user.active:
        return outbox.REASON_DEACTIVATED
    if user.email_confirmed_at is None and not account_mail:
        return outbox.REASON_UNCONFIRMED
    return None


def init_app(app) -> None:
    outbox.recipient_refusal.connect(mail_refusal)
