from contextlib import nullcontext

from flask import current_app, has_request_context, url_for

from portal.core.mail import send_email
from portal.core.time import local_date
from portal.notifications.services import notify

from .models import Lead


def send_reminder(lead: Lead) -> None:
    """Tell the participant their protection of a customer ends soon, in their language."""
    # Jobs run without a request: links then point at PORTAL_URL.
    context = nullcontext() if has_request_context() else current_app.test_request_context(
        base_url=current_app.config["PORTAL_URL"])
    with context:
        send_email(
            lead.user.email, "leads/email/reminder_subject.txt", "leads/email/reminder_body.txt",
            locale=lead.user.locale, category="reminders", lead=lead,
            link=url_for("leads.detail", lead_id=lead.id, _external=True),
        )
        notify(lead.user_id, "lead_protection_ending", {
            "id": lead.id, "customer": lead.customer_name, "date": local_date(lead.protected_until).isoformat(),
        }, url_for("leads.detail", lead_id=lead.id))
