"""`portal check`: each campaign's funnel counts against a rebuild from the registrations, confirmations, approvals,
sales and courses themselves."""

from collections import Counter

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from portal.auth.models import User
from portal.claims.models import APPROVED as CLAIM_APPROVED
from portal.claims.models import REVERSED, Claim
from portal.extensions import db
from portal.partners.models import APPROVED, CompanyMembership, PartnerCompany
from portal.training.models import CourseCompletion

from .models import RecruitmentCampaign, RecruitmentInvitee
from .services import STEP_LABELS

REBUILT = ("registered", "confirmed", "approved", "first_sale", "first_course")


def _rebuilt_steps():
    """Per invitee: whether its company reached each step after registering, read from the source rows."""
    company = RecruitmentInvitee.company_id
    member = select(CompanyMembership.id).where(CompanyMembership.company_id == company)
    registered = exists(member)
    confirmed = exists(select(User.id).join(CompanyMembership, CompanyMembership.user_id == User.id).where(
        CompanyMembership.company_id == company, User.email_confirmed_at.is_not(None)))
    approved = exists(select(PartnerCompany.id).where(PartnerCompany.id == company, PartnerCompany.status == APPROVED))
    sold = exists(select(Claim.id).where(Claim.company_id == company, Claim.status.in_((CLAIM_APPROVED, REVERSED))))
    trained = exists(select(CourseCompletion.id).where(CourseCompletion.company_id == company))
    # an invited company that joined without the registration being recorded
    joined = exists(select(PartnerCompany.id).join(CompanyMembership, CompanyMembership.company_id == PartnerCompany.id)
                    .where(PartnerCompany.inn == RecruitmentInvitee.inn))
    return select(RecruitmentInvitee.campaign_id, RecruitmentInvitee.company_id.is_not(None), registered, confirmed,
                  approved, sold, trained, joined, *(getattr(RecruitmentInvitee, f"{s}_at").is_not(None)
                                                      for s in REBUILT)).where(
        RecruitmentInvitee.invited_at.is_not(None))


def funnel_drift() -> list:
    kept: Counter = Counter()
    rebuilt: Counter = Counter()
    for row in db.session.execute(_rebuilt_steps()):
        campaign_id, linked, *sources = row
        joined = sources[5]
        truth = [linked and bool(v) for v in sources[:5]]
        if not linked and joined:
            truth[0] = True
        for step, fact, stored in zip(REBUILT, truth, row[8:], strict=True):
            rebuilt[campaign_id, step] += int(bool(fact))
            kept[campaign_id, step] += int(bool(stored))
    names = dict(db.session.execute(select(RecruitmentCampaign.id, RecruitmentCampaign.name)).all())
    return [_l("Recruitment campaign «%(name)s»: the funnel counts %(kept)s at «%(step)s», the registrations, sales "
               "and courses give %(actual)s.", name=names.get(campaign_id, campaign_id), step=STEP_LABELS[step],
               kept=kept[campaign_id, step], actual=rebuilt[campaign_id, step])
            for campaign_id, step in sorted(set(kept) | set(rebuilt)) if kept[campaign_id, step] !=
            rebuilt[campaign_id, step]]
