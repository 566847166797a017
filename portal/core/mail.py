"""Outgoing email: SMTP when MAIL_SERVER is set, otherwise printed to the log (or written to a folder)."""

import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale

log = logging.getLogger("portal.mail")


def send_email(to: str, subject_template: str, body_template: str, locale: str | None = None, **context):
    """Render a message in the recipient's language and send it.

    Templates are rendered under `force_locale`, so a manager acting in English sends a Russian
    participant a Russian mail.
    """
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = render_template(subject_template, **context).strip()
        body = render_template(body_template, **context)
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="portal.local")
    message.set_content(body)
    _deliver(message)
    return message


def _deliver(message: EmailMessage) -> None:
    config = current_app.config
    if config["MAIL_SERVER"]:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
        return
    if config["MAIL_OUTBOX_DIR"]:
        outbox = Path(config["MAIL_OUTBOX_DIR"])
        outbox.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").replace("@", "_") + ".eml"
        (outbox / name).write_bytes(bytes(message))
    log.warning("Mail to %s: %s\n%s", message["To"], message["Subject"], message.get_content())
