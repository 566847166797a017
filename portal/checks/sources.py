"""Every credit of points has a source that justifies it: an approved sale, a passed course, a prize place, a
qualified lead, a birthday on record, an adjustment with its reason...

A credit is an earning or adjustment transaction that puts points into a participant's own accounts (wallet and
debt). Reversals are not credits of their own: they undo the transaction they point to (a database key). One
query over the ledger finds every credit whose source row is missing or does not belong to the person.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, false, func, not_, or_, select
from sqlalchemy.orm import aliased

from portal.auth.models import User
from portal.claims.models import APPROVED, REVERSED, Claim
from portal.contests.models import ContestWinner
from portal.extensions import db
from portal.leads.models import Lead, LeadAward
from portal.ledger.models import ADJUST, DEBT, EARN, WALLET, Account, LedgerEntry, LedgerTransaction
from portal.referrals.models import PAID as REFERRAL_PAID
from portal.referrals.models import Referral
from portal.training.models import CourseCompletion


@dataclass(frozen=True)
class Source:
    """What justifies a credit of one source type: an SQL condition on the credit (its transaction `tx`, the person
    credited `credit.c.user_id`), and what to tell a manager when it fails."""

    justified: object  # (tx, credit) -> SQL condition
    missing: object  # source id -> a lazy message: what is wrong with the source


def _claim_of_person(tx, credit):
    return select(Claim.id).where(Claim.id == tx.source_id, Claim.user_id == credit.c.user_id,
                                  Claim.status.in_((APPROVED, REVERSED))).exists()


def _lead_share(tx, credit):
    return select(LeadAward.id).where(LeadAward.key == tx.idempotency_key, LeadAward.claim_id == tx.source_id,
                                      LeadAward.user_id == credit.c.user_id).exists()


def _qualified_lead(tx, credit):
    return select(Lead.id).where(Lead.id == tx.source_id, Lead.user_id == credit.c.user_id,
                                 Lead.qualified_at.is_not(None)).exists()


def _passed_course(tx, credit):
    return select(CourseCompletion.id).where(CourseCompletion.course_id == tx.source_id,
                                             CourseCompletion.user_id == credit.c.user_id).exists()


def _contest_place(tx, credit):
    return select(ContestWinner.id).where(ContestWinner.ledger_transaction_id == tx.id,
                                          ContestWinner.contest_id == tx.source_id,
                                          ContestWinner.user_id == credit.c.user_id).exists()


def _birthday(tx, credit):
    person = aliased(User)  # the outer query reads User for the name
    return select(person.id).where(person.id == tx.source_id, person.id == credit.c.user_id,
                                   person.birthday.is_not(None)).exists()


def _referral_bonus(tx, credit):
    return select(Referral.id).where(Referral.id == tx.source_id, Referral.transaction_id == tx.id,
                                     Referral.referrer_id == credit.c.user_id,
                                     Referral.status == REFERRAL_PAID).exists()


def _reasoned_adjustment(tx, credit):
    return and_(tx.kind == ADJUST, tx.actor_id.is_not(None), func.length(func.trim(func.coalesce(tx.memo, ""))) > 0)


# source_type -> what justifies it. A feature that credits points from a new source adds its line here.
SOURCES: dict[str, Source] = {
    "claim": Source(_claim_of_person, lambda source: _l(
        "sale #%(source)s is not an approved sale of this person", source=source)),
    "first_sale": Source(_claim_of_person, lambda source: _l(
        "sale #%(source)s, the first sale it rewards, is not an approved sale of this person", source=source)),
    "lead_share": Source(_lead_share, lambda source: _l(
        "no lead share was awarded to this person for sale #%(source)s", source=source)),
    "lead": Source(_qualified_lead, lambda source: _l(
        "lead #%(source)s is not a qualified lead of this person", source=source)),
    "course": Source(_passed_course, lambda source: _l(
        "the person has not passed course #%(source)s", source=source)),
    "contest": Source(_contest_place, lambda source: _l(
        "the person holds no prize place in contest #%(source)s paid by it", source=source)),
    "referral": Source(_referral_bonus, lambda source: _l(
        "referral #%(source)s is not a paid referral of this person", source=source)),
    "birthday": Source(_birthday, lambda source: _l("the person has no birthday on record")),
    "adjustment": Source(_reasoned_adjustment, lambda source: _l("the adjustment has no manager or no reason")),
}


def _credits():
    """Per transaction that earns or adjusts: the person whose own accounts it credits and by how much."""
    personal = func.sum(LedgerEntry.amount)
    return (select(LedgerEntry.transaction_id, Account.user_id, personal.label("points"))
            .join(Account, Account.id == LedgerEntry.account_id)
            .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
            .where(Account.kind.in_((WALLET, DEBT)), LedgerTransaction.kind.in_((EARN, ADJUST)),
                   LedgerTransaction.reverses_id.is_(None))
            .group_by(LedgerEntry.transaction_id, Account.user_id)
            .having(personal > 0)).subquery("credit")


def unjustified_credits() -> list:
    """Credits whose source row does not exist, belongs to someone else or does not justify points."""
    tx = LedgerTransaction
    credit = _credits()
    justified = or_(false(), *[and_(tx.source_type == source_type, source.justified(tx, credit))
                               for source_type, source in SOURCES.items()])
    rows = db.session.execute(
        select(tx.id, tx.source_type, tx.source_id, credit.c.user_id, credit.c.points, User.full_name)
        .join(credit, credit.c.transaction_id == tx.id)
        .join(User, User.id == credit.c.user_id)
        .where(not_(justified)).order_by(tx.id)).all()
    findings = []
    for transaction_id, source_type, source_id, _user_id, points, name in rows:
        source = SOURCES.get(source_type)
        reason = (source.missing(source_id) if source is not None else
                  _l("nothing in the program credits points from a source called «%(kind)s»", kind=source_type))
        findings.append(_l("%(person)s was credited %(points)s points (transaction #%(id)s), but %(reason)s.",
                           person=name, points=points, id=transaction_id, reason=reason))
    return findings
