"""Campaigns: created from a checked list (all rows or none), paused and resumed; their funnel with counts,
conversion and median times between steps, by group and region; and who is stuck at each step."""

from dataclasses import dataclass
from datetime import timedelta
from statistics import median

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select

from portal.auth.models import User
from portal.core.errors import DomainError
from portal.extensions import db
from portal.partners.models import PartnerGroup

from .importer import InviteePreview, check_name
from .models import ACTIVE, PAUSED, STEPS, RecruitmentCampaign, RecruitmentInvitee

STEP_LABELS = {
    "invited": _l("Invited"),
    "opened": _l("Opened the link"),
    "registered": _l("Registered on the portal"),
    "confirmed": _l("E-mail confirmed"),
    "approved": _l("Company approved"),
    "first_sale": _l("First sale approved"),
    "first_course": _l("First course passed"),
}
_BATCH = 5000


def create_campaign(name: str, preview: InviteePreview, actor: User) -> RecruitmentCampaign:
    """A campaign inviting every right row of a checked file: refused whole when any row is wrong or none is
    left to invite. The invitations go out with the sending job, at the configured rate. Flushes."""
    name = check_name(name)
    if preview.header_errors or preview.errors:
        raise DomainError(_l("Nothing was created: %(n)s rows have errors. Correct the file and upload it again.",
                             n=len(preview.errors) or 1), field="file")
    rows = preview.to_invite
    if not rows:
        raise DomainError(_l("Nothing was created: the file has no company left to invite."), field="file")
    campaign = RecruitmentCampaign(name=name, status=ACTIVE, created_by_id=actor.id)
    db.session.add(campaign)
    db.session.flush()
    values = [{"campaign_id": campaign.id, "row_number": r.number, "inn": r.inn, "company_name": r.company_name,
               "region": r.region, "contact_name": r.contact_name, "email": r.email, "locale": r.locale,
               "group_id": r.group_id, "reminders": 0} for r in rows]
    for start in range(0, len(values), _BATCH):
        db.session.execute(insert(RecruitmentInvitee), values[start:start + _BATCH])
    db.session.flush()
    return campaign


def set_paused(campaign: RecruitmentCampaign, paused: bool) -> None:
    """A paused campaign sends nothing (its funnel goes on recording). Flushes."""
    campaign.status = PAUSED if paused else ACTIVE
    db.session.flush()


def campaign_counts(campaign_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per campaign: companies, and how many reached each step."""
    if not campaign_ids:
        return {}
    columns = [func.count(RecruitmentInvitee.id)] + [func.count(getattr(RecruitmentInvitee, f"{s}_at"))
                                                     for s in STEPS]
    rows = db.session.execute(select(RecruitmentInvitee.campaign_id, *columns)
                              .where(RecruitmentInvitee.campaign_id.in_(campaign_ids))
                              .group_by(RecruitmentInvitee.campaign_id)).all()
    return {row[0]: {"companies": row[1], **dict(zip(STEPS, row[2:], strict=True))} for row in rows}


def running_totals() -> dict[str, int] | None:
    """The running campaigns' companies and how many reached each step (the managers' home page card), None when
    no campaign runs."""
    columns = [func.count(RecruitmentInvitee.id)] + [func.count(getattr(RecruitmentInvitee, f"{s}_at")) for s in STEPS]
    row = db.session.execute(select(*columns).join(RecruitmentCampaign, RecruitmentCampaign.id ==
                                                   RecruitmentInvitee.campaign_id)
                             .where(RecruitmentCampaign.status == ACTIVE)).one()
    return {"companies": row[0], **dict(zip(STEPS, row[1:], strict=True))} if row[0] else None


def all_campaigns() -> list[RecruitmentCampaign]:
    return list(db.session.scalars(select(RecruitmentCampaign).order_by(RecruitmentCampaign.id.desc())))


def _filtered(campaign_id: int, group_id: int | None = None, region: str = ""):
    query = select(RecruitmentInvitee).where(RecruitmentInvitee.campaign_id == campaign_id)
    if group_id:
        query = query.where(RecruitmentInvitee.group_id == group_id)
    if region:
        query = query.where(RecruitmentInvitee.region == region)
    return query


@dataclass(frozen=True)
class FunnelStep:
    step: str
    label: object
    count: int
    conversion: float | None  # percent of the step before (None for the first step or when nobody reached it)
    median_time: timedelta | None  # from the step before, over the companies that reached both


def funnel(campaign_id: int, group_id: int | None = None, region: str = "") -> tuple[int, list[FunnelStep]]:
    """(companies, steps) of a campaign, of one group or region when given. A company counts at a step when it
    reached that step and every step before it (a course passed before any approved sale counts under "first
    course" once a sale is approved too), so no step holds more than the one before it."""
    stamps = db.session.execute(_filtered(campaign_id, group_id, region).with_only_columns(
        *(getattr(RecruitmentInvitee, f"{s}_at") for s in STEPS))).all()
    steps, previous = [], None
    for index, step in enumerate(STEPS):
        count = sum(1 for row in stamps if all(stamp is not None for stamp in row[:index + 1]))
        conversion = median_time = None
        if previous is not None:
            conversion = round(100.0 * count / previous, 1) if previous else None
            gaps = [row[index] - row[index - 1] for row in stamps if row[index] and row[index - 1]]
            median_time = timedelta(seconds=round(median(g.total_seconds() for g in gaps))) if gaps else None
        steps.append(FunnelStep(step, STEP_LABELS[step], count, conversion, median_time))
        previous = count
    return len(stamps), steps


def stuck_query(campaign_id: int, step: str, group_id: int | None = None, region: str = ""):
    """The companies that reached the step before `step` but not `step` (for "invited": not mailed yet)."""
    index = STEPS.index(step)
    query = _filtered(campaign_id, group_id, region).where(getattr(RecruitmentInvitee, f"{step}_at").is_(None))
    if index:
        query = query.where(getattr(RecruitmentInvitee, f"{STEPS[index - 1]}_at").is_not(None))
    return query.order_by(RecruitmentInvitee.row_number)


def campaign_regions(campaign_id: int) -> list[str]:
    return list(db.session.scalars(select(RecruitmentInvitee.region).distinct().where(
        RecruitmentInvitee.campaign_id == campaign_id, RecruitmentInvitee.region != "")
        .order_by(RecruitmentInvitee.region)))


def campaign_groups(campaign_id: int) -> list:
    return list(db.session.scalars(select(PartnerGroup).where(PartnerGroup.id.in_(
        select(RecruitmentInvitee.group_id).where(RecruitmentInvitee.campaign_id == campaign_id)))
        .order_by(PartnerGroup.name)))
