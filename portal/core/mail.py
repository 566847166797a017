"""Outgoing email, through the outbox (portal/ops/outbox.py, connected to `outbox` by create_app).

`send_email` renders the mail and writes it into the outbox in the CURRENT database transaction: call it
before `db.session.commit()`. The worker delivers it after the commit (SMTP when MAIL_SERVER is set,
otherwise the log); a rolled-back transaction sends nothing. A request never waits on SMTP.

Mail that is not about the account itself names its `category` (decisions, contests, news, reminders,
reports): the recipient's mail settings decide whether it goes (`mail_choice`, provided by
portal/notifications), and when it goes it carries a one-click unsubscribe (RFC 8058 headers and a footer link).
"""

from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from portal.core.hooks import Hook

#: Writes a rendered mail into the outbox in the current transaction (flush) and returns it as an EmailMessage.
#: Called as outbox(to, subject, body, account_mail=..., headers=...); portal/ops provides it.
outbox = Hook("the mail outbox (portal.core.mail.outbox)")


@dataclass(frozen=True)
class MailChoice:
    """Whether a mail of a category goes to an address, and the link that unsubscribes it from that category."""

    send: bool
    unsubscribe_url: str | None = None


#: mail_choice(to, category) -> MailChoice: the recipient's mail settings. portal/notifications provides it.
mail_choice = Hook("the recipients' mail settings (portal.core.mail.mail_choice)")


def send_email(to: str, subject_template: str, body_template: str, locale: str | None = None,
               account_mail: bool = False, category: str | None = None, unsubscribe_url: str | None = None,
               **context) -> EmailMessage | None:
    """Render a message in the recipient's language and queue it in the outbox (flush, no commit).

    Templates are rendered under `force_locale`, so a manager acting in English sends a Russian
    participant a Russian mail. `account_mail=True` marks mail about the account itself (address
    confirmation, password reset): the only mail that goes to an address not confirmed yet, and never
    subject to the mail settings. Other mail names its `category`; it is not written (None is returned)
    when the recipient turned that category off. Mail to someone with no account yet (a recruitment
    campaign's invitation) gives its own one-click `unsubscribe_url` instead of a category.
    """
    if category is not None and not account_mail and mail_choice.connected:
        choice = mail_choice(to, category)
        if not choice.send:
            return None
        unsubscribe_url = choice.unsubscribe_url
    headers = {}
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = render_template(subject_template, **context).strip()
        body = render_template(body_template, **context)
        if unsubscribe_url:
            body = body.rstrip("\n") + "\n\n-- \n" + _(
                "To stop mail of this kind or change your mail settings, open (no sign-in needed): %(link)s",
                link=unsubscribe_url) + "\n"
            headers = {"List-Unsubscribe": f"<{unsubscribe_url}>",
                       "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return outbox(to, subject, body, account_mail=account_mail, headers=headers)
