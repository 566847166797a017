"""The sending job: invitations, then reminders N and M days after the invitation, at most the configured number of
mails an hour over all campaigns; never to a company in the program or an address that unsubscribed."""

from contextlib import nullcontext
from datetime import datetime, timedelta

from flask import current_app, has_request_context
from sqlalchemy import and_, func, or_, select

from portal.core.mail import send_email
from portal.extensions import db
from portal.partners.models import PartnerCompany

from . import links
from .models import ACTIVE, REGISTERED, UNSUBSCRIBED, RecruitmentCampaign, RecruitmentInvitee

_COMMIT_EVERY = 50


def sent_in_last_hour(now: datetime) -> int:
    since = now - timedelta(hours=1)
    invited = db.session.scalar(select(func.count()).where(RecruitmentInvitee.invited_at > since))
    reminded = db.session.scalar(select(func.count()).where(RecruitmentInvitee.reminded_at > since))
    return (invited or 0) + (reminded or 0)


def _due(now: datetime):
    """Invitees of running campaigns whose next mail is due, invitations first, oldest rows first."""
    days = current_app.config["RECRUITMENT_REMINDER_DAYS"]
    due = [RecruitmentInvitee.invited_at.is_(None)]
    for sent, after in enumerate(days):
        due.append(and_(RecruitmentInvitee.reminders == sent,
                        RecruitmentInvitee.invited_at <= now - timedelta(days=after)))
    return (select(RecruitmentInvitee)
            .join(RecruitmentCampaign, RecruitmentCampaign.id == RecruitmentInvitee.campaign_id)
            .where(RecruitmentCampaign.status == ACTIVE, RecruitmentInvitee.stopped.is_(None),
                   RecruitmentInvitee.registered_at.is_(None), or_(*due))
            .order_by(RecruitmentInvitee.invited_at.is_not(None), RecruitmentInvitee.id))


def _stop_if_done(invitee: RecruitmentInvitee) -> bool:
    """A company that joined the program, or an address that unsubscribed, gets nothing more (checked at the moment
    of sending, whatever happened since the list was read)."""
    if links.opted_out([invitee.email]):
        invitee.stopped = UNSUBSCRIBED
    elif db.session.scalar(select(PartnerCompany.id).where(PartnerCompany.inn == invitee.inn)) is not None:
        invitee.stopped = REGISTERED
    return invitee.stopped is not None


def _send(invitee: RecruitmentInvitee, now: datetime) -> None:
    reminder = invitee.invited_at is not None
    send_email(invitee.email, "recruitment/email/invitation_subject.txt", "recruitment/email/invitation_body.txt",
               locale=invitee.locale, unsubscribe_url=links.unsubscribe_url(invitee), invitee=invitee,
               reminder=reminder, link=links.invitation_url(invitee))
    if reminder:
        invitee.reminders += 1
        invitee.reminded_at = now
    else:
        invitee.invited_at = now


def send_recruitment_mail(now: datetime) -> int:
    """Send what is due, within the hour's budget; each mail and its funnel moment commit together."""
    budget = current_app.config["RECRUITMENT_MAILS_PER_HOUR"] - sent_in_last_hour(now)
    sent = 0
    context = nullcontext() if has_request_context() else current_app.test_request_context(
        base_url=current_app.config["PORTAL_URL"])
    with context:
        while budget > sent:
            batch = db.session.scalars(_due(now).limit(min(budget - sent, _COMMIT_EVERY))).all()
            if not batch:
                break
            for invitee in batch:
                if not _stop_if_done(invitee):
                    _send(invitee, now)
                    sent += 1
            db.session.commit()
    return sent

