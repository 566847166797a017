"""Referral links, the referral a registration through one records, and the bonus settings.

Refused, each with a message the person reads: an unknown or disabled code, a referrer who no longer takes part,
a self-referral (the referrer's own account, e-mail or phone), an invitee who has a referrer already, and a loop
(nobody may refer someone up their own referral chain). A refused link never stops the registration itself."""

import secrets
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.audit import services as audit
from portal.auth.models import PARTNER_ROLES, User
from portal.core.errors import DomainError
from portal.core.sql import insert_ignoring_duplicates
from portal.core.time import utcnow
from portal.extensions import db

from .models import MONTH, PAID, PERIODS, QUARTER, Referral, ReferralCode, ReferralSettings

SETTING_NAMES = ("active", "points", "cap_per_period", "cap_period")

LINK_NOT_VALID = _l("The invitation link is not valid (mistyped, or replaced by a newer one): you join the program "
                    "without a referral.")
REFERRER_LEFT = _l("The person who shared this invitation link no longer takes part in the program: you join "
                   "without a referral.")
OWN_LINK = _l("This invitation link belongs to the same person (the same account, e-mail or phone): nobody can "
              "refer themselves, so it was not recorded.")
HAS_REFERRER = _l("This person was already invited by someone else: a person has one referrer.")
LOOP = _l("A referral cannot go round in a circle: this person is higher up the referrer's own chain of "
          "invitations.")


class ReferralRefused(DomainError):
    """A referral the rules do not allow; the registration goes on without it."""


# --- the settings --------------------------------------------------------------------------------------------------


def get_referral_settings() -> ReferralSettings:
    """The settings row, created with defaults the first time it is asked for."""
    found = db.session.get(ReferralSettings, 1)
    if found is None:
        defaults = {c.name: c.default.arg for c in ReferralSettings.__table__.columns
                    if c.default is not None and not callable(c.default.arg)}
        insert_ignoring_duplicates(ReferralSettings, [{**defaults, "id": 1, "updated_at": utcnow()}], ["id"])
        found = db.session.get(ReferralSettings, 1)
    return found


def save_referral_settings(actor: User, *, active: bool, points: int, cap_per_period: int | None,
                           cap_period: str) -> ReferralSettings:
    """Save the referral bonus: on or off, its points, and how many bonuses one referrer may get per period."""
    if not isinstance(points, int) or not 0 < points <= 1_000_000:
        raise DomainError(_l("Enter the points of one bonus: a whole number from 1 to 1,000,000."), field="points")
    if cap_per_period is not None and not 0 < cap_per_period <= 10_000:
        raise DomainError(_l("Enter the limit as a whole number from 1 to 10,000, or leave it empty for no limit."),
                          field="cap_per_period")
    if cap_period not in PERIODS:
        raise DomainError(_l("Choose a month, a quarter or a year."), field="cap_period")
    settings = get_referral_settings()
    before = audit.snapshot(settings, SETTING_NAMES)
    settings.active, settings.points = bool(active), points
    settings.cap_per_period, settings.cap_period = cap_per_period, cap_period
    settings.updated_at = utcnow()
    if changes := audit.diff(before, audit.snapshot(settings, SETTING_NAMES)):
        audit.record(audit.SETTINGS_CHANGED, actor=actor, object_type="referral_settings", object_id=1,
                     changes=changes)
    db.session.flush()
    return settings


def period_start(day: date, period: str) -> date:
    """The first day of the calendar month, quarter or year holding `day`."""
    if period == MONTH:
        return day.replace(day=1)
    if period == QUARTER:
        return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    return day.replace(month=1, day=1)


def period_end(start: date, period: str) -> date:
    """The first day after the period starting on `start`."""
    months = {MONTH: 1, QUARTER: 3}.get(period, 12)
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, 1)


def bonuses_paid_in_period(referrer_id: int, day: date, period: str) -> int:
    start = period_start(day, period)
    return db.session.scalar(select(func.count(Referral.id)).where(
        Referral.referrer_id == referrer_id, Referral.status == PAID, Referral.paid_on >= start,
        Referral.paid_on < period_end(start, period))) or 0


# --- links ---------------------------------------------------------------------------------------------------------


def can_refer(user: User | None) -> bool:
    """Only an active participant (or partner admin) invites."""
    return user is not None and user.active and user.role in PARTNER_ROLES


def open_link(user: User) -> ReferralCode | None:
    return db.session.scalar(select(ReferralCode).where(ReferralCode.user_id == user.id,
                                                        ReferralCode.disabled_at.is_(None)))


def link_of(user: User) -> ReferralCode:
    """The person's open referral link, made the first time they ask for it."""
    if not can_refer(user):
        raise DomainError(_l("Only active participants of the program invite colleagues."))
    found = open_link(user)
    while found is None:
        # Two tabs opening the page at once: the second insert is skipped and both read the first's link (no
        # savepoint: releasing one would hand mail queued earlier in the request to the worker before the commit).
        insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        db.session.execute(insert(ReferralCode).values(user_id=user.id, code=secrets.token_urlsafe(9),
                                                       created_at=utcnow()).on_conflict_do_nothing())
        found = open_link(user)
    return found


def renew_link(user: User) -> ReferralCode:
    """Disable the person's link (one that went too far, say) and give them a new one."""
    current = open_link(user)
    if current is not None:
        current.disabled_at = utcnow()
        db.session.flush()
    return link_of(user)


def find_code(code: str | None) -> ReferralCode | None:
    """The open link a code names, or None (unknown, disabled, or junk)."""
    code = (code or "").strip()
    if not code or len(code) > 32:
        return None
    return db.session.scalar(select(ReferralCode).where(ReferralCode.code == code,
                                                        ReferralCode.disabled_at.is_(None)))


def link_problem(code: str | None):
    """What a registration page says about the `?ref=` code it came with: None when it is fine (or absent)."""
    if not code:
        return None
    found = find_code(code)
    if found is None:
        return LINK_NOT_VALID
    if not can_refer(found.user):
        return REFERRER_LEFT
    return None


# --- recording -----------------------------------------------------------------------------------------------------


def _same_person(referrer: User, invitee: User) -> bool:
    return (referrer.id == invitee.id or referrer.email.lower() == invitee.email.lower()
            or (referrer.phone is not None and referrer.phone == invitee.phone))


def _chain_above(user_id: int) -> set[int]:
    """Everyone up the person's chain of referrers (a forest: each person has at most one)."""
    found: set[int] = set()
    current = user_id
    while True:
        above = db.session.scalar(select(Referral.referrer_id).where(Referral.invitee_id == current))
        if above is None or above in found:
            return found
        found.add(above)
        current = above


def record_referral(code: str | None, invitee: User) -> Referral:
    """Record that `invitee` joined through the link `code`; ReferralRefused says why not."""
    link = find_code(code)
    if link is None:
        raise ReferralRefused(LINK_NOT_VALID)
    referrer = link.user
    if not can_refer(referrer):
        raise ReferralRefused(REFERRER_LEFT)
    if _same_person(referrer, invitee):
        raise ReferralRefused(OWN_LINK)
    if db.session.scalar(select(Referral.id).where(Referral.invitee_id == invitee.id)) is not None:
        raise ReferralRefused(HAS_REFERRER)
    if invitee.id in _chain_above(referrer.id):
        raise ReferralRefused(LOOP)
    # The invitee has just been created in this transaction: nobody else can record a referral for them meanwhile.
    referral = Referral(referrer_id=referrer.id, invitee_id=invitee.id, code_id=link.id, created_at=utcnow())
    db.session.add(referral)
    db.session.flush()
    return referral


def record_from_registration(code: str | None, invitee: User | None):
    """The registration's one call: record the referral its link carries. Returns what the page should say when the
    link was not used (None when it was, or there was none). The answer about the link alone does not depend on
    whether the address had an account already (`invitee` None), so it tells nobody that."""
    if not code:
        return None
    if invitee is None:
        return link_problem(code)
    try:
        record_referral(code, invitee)
    except ReferralRefused as exc:
        return exc.message
    return None


# --- reading -------------------------------------------------------------------------------------------------------


def referrals_of(referrer_id: int):
    """The referrer's invitees, newest first (a select for the page)."""
    return (select(Referral).where(Referral.referrer_id == referrer_id)
            .order_by(Referral.created_at.desc(), Referral.id.desc()))


def all_referrals(status: str | None = None):
    """Every referral for the console, newest first, optionally in one state (a select for the page)."""
    query = select(Referral)
    if status:
        query = query.where(Referral.status == status)
    return query.order_by(Referral.created_at.desc(), Referral.id.desc())


def totals_of(referrer_id: int) -> tuple[int, int]:
    """(invitees, bonus points paid) of one referrer."""
    count, points = db.session.execute(
        select(func.count(Referral.id), func.coalesce(func.sum(Referral.bonus_points), 0))
        .where(Referral.referrer_id == referrer_id)).one()
    return int(count), int(points)
