"""Outgoing email, through the outbox (portal/ops/outbox.py, connected to `outbox` by create_app).

`send_email` renders the mail and writes it into the outbox in the CURRENT database transaction: call it
before `db.session.commit()`. The worker delivers it after the commit (SMTP when MAIL_SERVER is set,
otherwise the log); a rolled-back transaction sends nothing. A request never waits on SMTP. `prepare_email`
renders a mail without writing it, for an action whose rows are written under a lock every other writer waits
for (an order on SQLite): render before the transaction's first write, `queue()` it after.

Mail that is not about the account itself names its `category` (decisions, contests, news, reminders,
reports): the recipient's mail settings decide whether it goes (`mail_choice`, provided by
portal/notifications), and when it goes it carries a one-click unsubscribe (RFC 8058 headers and a footer link).
"""

from dataclasses import dataclass, field

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from portal.core.hooks import Hook

#: Writes a rendered mail into the outbox in the current transaction (flush) and returns the outbox row.
#: Called as outbox(to, subject, body, account_mail=..., headers=...); portal/ops provides it.
outbox = Hook("the mail outbox (portal.core.mail.outbox)")


@dataclass(frozen=True)
class MailChoice:
    """Whether a mail of a category goes to an address, and the link that unsubscribes it from that category."""

    send: bool
    unsubscribe_url: str | None = None


#: mail_choice(to, category) -> MailChoice: the recipient's mail settings. portal/notifications provides it.
mail_choice = Hook("the recipients' mail settings (portal.core.mail.mail_choice)")


@dataclass(frozen=True)
class PreparedMail:
    """A mail rendered in the recipient's language and allowed by their settings, not written yet. Rendering it
    before a transaction's first write keeps that work out of the database's write lock (on SQLite every other
    writer waits for it); `queue` then writes only the outbox row, in the transaction of the action it tells about."""

    to: str
    subject: str
    body: str
    account_mail: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    def queue(self, fill: dict[str, str] | None = None):
        """Write the mail into the outbox in the current transaction (flush, no commit) and return its row. `fill`
        replaces stand-ins in the subject and body with what was not known when it was rendered ({stand-in: text}:
        the number of an order written after its mail was rendered)."""
        subject, body = self.subject, self.body
        for stand_in, text in (fill or {}).items():
            subject, body = subject.replace(stand_in, text), body.replace(stand_in, text)
        return outbox(self.to, subject, body, account_mail=self.account_mail, headers=self.headers)


def prepare_email(to: str, subject_template: str, body_template: str, locale: str | None = None,
                  account_mail: bool = False, category: str | None = None, unsubscribe_url: str | None = None,
                  **context) -> PreparedMail | None:
    """What `send_email` writes, without writing it: None when the recipient turned the category off."""
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
    return PreparedMail(to, subject, body, account_mail, headers)


def send_email(to: str, subject_template: str, body_template: str, locale: str | None = None,
               account_mail: bool = False, category: str | None = None, unsubscribe_url: str | None = None,
               **context):
    """Render a message in the recipient's language and queue it in the outbox (flush, no commit); the outbox row,
    or None when it was not written.

    Templates are rendered under `force_locale`, so a manager acting in English sends a Russian
    participant a Russian mail. `account_mail=True` marks mail about the account itself (address
    confirmation, password reset): the only mail that goes to an address not confirmed yet, and never
    subject to the mail settings. Other mail names its `category`; it is not written (None is returned)
    when the recipient turned that category off. Mail to someone with no account yet (a recruitment
    campaign's invitation) gives its own one-click `unsubscribe_url` instead of a category.
    """
    prepared = prepare_email(to, subject_template, body_template, locale, account_mail, category, unsubscribe_url,
                             **context)
    return None if prepared is None else prepared.queue()
