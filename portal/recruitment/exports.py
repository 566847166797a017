"""The list of the companies stuck at a step of a campaign's funnel, as a typed table (CSV or XLSX)."""

from flask_babel import gettext as _

from portal.core.exports import DATETIME, Column, Table
from portal.extensions import db

from .models import STEPS, RecruitmentCampaign
from .services import STEP_LABELS, stuck_query


def stuck_table(campaign: RecruitmentCampaign, step: str, group_id: int | None, region: str) -> Table:
    index = STEPS.index(step)
    before = STEPS[index - 1] if index else None
    header = [Column(_("INN")), Column(_("Company")), Column(_("Region")), Column(_("Group")), Column(_("Contact")),
              Column(_("Email")), Column(_("Last step reached")), Column(_("Reached at"), DATETIME),
              Column(_("Reminders sent")), Column(_("Mail stopped"))]
    stopped = {"registered": _("the company joined"), "unsubscribed": _("the contact unsubscribed")}
    invitees = db.session.scalars(stuck_query(campaign.id, step, group_id, region)).all()
    rows = [[i.inn, i.company_name, i.region, i.group.name if i.group else "", i.contact_name, i.email,
             str(STEP_LABELS[before]) if before else "", i.reached(before) if before else None, i.reminders,
             stopped.get(i.stopped, "")] for i in invitees]
    return Table(f"recruitment-{campaign.id}-{step}", str(STEP_LABELS[step])[:31], header, rows, len(rows))
