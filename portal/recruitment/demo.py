"""A running demo campaign: companies at every step, from "not mailed yet" to a company of the demo that joined
through it and sells (its steps read from its real registrations, sales and courses, so `portal check` agrees)."""

from datetime import timedelta

from sqlalchemy import exists, func, select

from portal.auth.models import MANAGER, User
from portal.claims.models import APPROVED as CLAIM_APPROVED
from portal.claims.models import REVERSED, Claim
from portal.core.inn import make_inn
from portal.core.time import utcnow
from portal.extensions import db
from portal.partners.models import APPROVED, PENDING, CompanyMembership, PartnerCompany
from portal.training.models import CourseCompletion

from .models import ACTIVE, REGISTERED, RecruitmentCampaign, RecruitmentInvitee

NEW_COMPANIES = [
    ("ООО «Северный холод»", "Санкт-Петербург", "Ольга Смирнова"),
    ("ООО «Климат-Юг»", "Краснодар", "Павел Кузнецов"),
    ("ООО «ТеплоДом»", "Казань", "Алина Галиева"),
    ("ИП Воронин А. С.", "Воронеж", "Андрей Воронин"),
]


def _staffed(status: str):
    return select(PartnerCompany).where(PartnerCompany.status == status, exists(select(CompanyMembership.id).where(
        CompanyMembership.company_id == PartnerCompany.id))).order_by(PartnerCompany.id.desc()).limit(1)


def _first(query):
    return db.session.scalar(query)


def load(rng) -> None:
    manager = db.session.scalar(select(User).where(User.role == MANAGER).order_by(User.id))
    if manager is None:
        return
    now = utcnow()
    campaign = RecruitmentCampaign(name="Дилеры регионов — осень", status=ACTIVE, created_by_id=manager.id,
                                   created_at=now - timedelta(days=12))
    db.session.add(campaign)
    db.session.flush()
    for number, (name, region, contact) in enumerate(NEW_COMPANIES, start=2):
        invitee = RecruitmentInvitee(
            campaign_id=campaign.id, row_number=number, inn=make_inn(f"36{rng.randint(1000000, 9999999)}"),
            company_name=name, region=region, contact_name=contact, email=f"recruit{number}@demo.test", reminders=0)
        if number >= 3:  # the first one waits for the sending job
            invitee.invited_at = now - timedelta(days=10 - number)
        if number == 4:
            invitee.reminders, invitee.reminded_at = 1, invitee.invited_at + timedelta(days=3)
        if number == 5:
            invitee.opened_at = invitee.invited_at + timedelta(hours=5)
        db.session.add(invitee)
    for number, company in enumerate(c for c in (_first(_staffed(PENDING)), _first(_staffed(APPROVED))) if c):
        _joined(campaign, company, 6 + number, now)
    db.session.flush()


def _joined(campaign: RecruitmentCampaign, company: PartnerCompany, number: int, now) -> None:
    """A demo company as if it had come through the campaign: each step it really reached, a day apart."""
    people = select(CompanyMembership.user_id).where(CompanyMembership.company_id == company.id)
    contact = db.session.scalar(select(User).where(User.id.in_(people)).order_by(User.id).limit(1))
    moment = now - timedelta(days=11)
    invitee = RecruitmentInvitee(
        campaign_id=campaign.id, row_number=number, inn=company.inn, company_name=company.name,
        region=company.region, contact_name=contact.full_name, email=contact.email, company_id=company.id,
        stopped=REGISTERED, reminders=0, invited_at=moment, opened_at=moment + timedelta(hours=2),
        registered_at=moment + timedelta(hours=3))
    facts = {
        "confirmed_at": db.session.scalar(select(func.count()).where(User.id.in_(people),
                                                                     User.email_confirmed_at.is_not(None))),
        "approved_at": company.status == APPROVED,
        "first_sale_at": db.session.scalar(select(func.count()).where(Claim.company_id == company.id,
                                                                      Claim.status.in_((CLAIM_APPROVED, REVERSED)))),
        "first_course_at": db.session.scalar(select(func.count()).where(CourseCompletion.company_id == company.id)),
    }
    for day, (column, reached) in enumerate(facts.items(), start=1):
        if reached:
            setattr(invitee, column, moment + timedelta(days=day))
    db.session.add(invitee)
