"""Outgoing email, through the outbox (portal/ops/outbox.py, connected to `outbox` by create_app).

`send_email` renders the mail and writes it into the outbox in the CURRENT database transaction: call it
before `db.session.commit()`. The worker delivers it after the commit (SMTP when MAIL_SERVER is set,
otherwise the log); a rolled-back transaction sends nothing. A request never waits on SMTP.
"""

from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale

from portal.core.hooks import Hook

#: Writes a rendered mail into the outbox in the current transaction (flush) and returns it as an EmailMessage.
#: Called as outbox(to, subject, body, account_mail=...); portal/ops provides it.
outbox = Hook("the mail outbox (portal.core.mail.outbox)")


def send_email(to: str, subject_template: str, body_template: str, locale: str | None = None,
               account_mail: bool = False, **context) -> EmailMessage:
    """Render a message in the recipient's language and queue it in the outbox (flush, no commit).

    Templates are rendered under `force_locale`, so a manager acting in English sends a Russian
    participant a Russian mail. `account_mail=True` marks mail about the account itself (address
    confirmation, password reset): the only mail that goes to an address not confirmed yet.
    """
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = render_template(subject_template, **context).strip()
        body = render_template(body_template, **context)
    return outbox(to, subject, body, account_mail=account_mail)
