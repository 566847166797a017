"""What each kind of notification says, in the reader's language, and the mail category it belongs to.

A notification stores its kind and plain values (numbers, titles, ISO dates); the words are chosen when it is
shown, so a person who switches language reads every notification in the new one."""

from datetime import date

from flask_babel import format_date, lazy_pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.core.formatting import number

from .models import CONTESTS, DECISIONS, NEWS, REMINDERS

CLAIM_APPROVED = "claim_approved"
CLAIM_REJECTED = "claim_rejected"
CLAIM_REVERSED = "claim_reversed"
POINTS_CREDITED = "points_credited"
POINTS_EXPIRED = "points_expired"
POINTS_EXPIRING = "points_expiring"
CONTEST_STARTED = "contest_started"
CONTEST_FROZEN = "contest_frozen"
CONTEST_FINALISED = "contest_finalised"
LEAD_PROTECTION_ENDING = "lead_protection_ending"
ORDER_UPDATED = "order_updated"
NEWS_PUBLISHED = "news_published"
REFERRAL_PAID = "referral_paid"
REFERRAL_NOT_PAID = "referral_not_paid"

CATEGORY_OF = {
    CLAIM_APPROVED: DECISIONS, CLAIM_REJECTED: DECISIONS, CLAIM_REVERSED: DECISIONS,
    POINTS_CREDITED: DECISIONS, POINTS_EXPIRED: DECISIONS, POINTS_EXPIRING: REMINDERS,
    CONTEST_STARTED: CONTESTS, CONTEST_FROZEN: CONTESTS, CONTEST_FINALISED: CONTESTS,
    LEAD_PROTECTION_ENDING: REMINDERS, ORDER_UPDATED: DECISIONS, NEWS_PUBLISHED: NEWS,
    REFERRAL_PAID: DECISIONS, REFERRAL_NOT_PAID: DECISIONS,
}
KINDS = tuple(CATEGORY_OF)

# The same words as the shop's order states (one translation each).
ORDER_STATES = {
    "placed": lazy_pgettext("order status", "Placed"),
    "awaiting_payment": lazy_pgettext("order status", "Awaiting payment"),
    "paid": lazy_pgettext("order status", "Paid"),
    "approved": lazy_pgettext("order status", "Approved"),
    "shipped": lazy_pgettext("order status", "Shipped"),
    "delivered": lazy_pgettext("order status", "Delivered"),
    "cancelled": lazy_pgettext("order status", "Cancelled"),
}

# Why a referral bonus was not paid (the same words as the referrals console).
REFERRAL_REASONS = {
    "cap_reached": _l("the limit of referral bonuses for the period was reached"),
    "bonus_off": _l("the referral bonus was switched off"),
}


def _day(value) -> str:
    try:
        return format_date(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _contest_place(p: dict, with_place, without_place) -> str:
    if p.get("place"):
        return _(with_place, title=p.get("title", ""), place=p["place"])
    return _(without_place, title=p.get("title", ""))


_TEXTS = {
    CLAIM_APPROVED: lambda p: _("Your sale #%(id)s was approved: %(points)s points.", id=p.get("id"),
                                points=number(p.get("points") or 0)),
    CLAIM_REJECTED: lambda p: _("Your sale #%(id)s was rejected: %(reason)s", id=p.get("id"),
                                reason=p.get("reason") or ""),
    CLAIM_REVERSED: lambda p: _("Your sale #%(id)s was reversed; its points are taken back.", id=p.get("id")),
    POINTS_CREDITED: lambda p: _("%(points)s points were credited to your account.", points=number(p.get("points", 0))),
    POINTS_EXPIRED: lambda p: _("%(points)s points expired.", points=number(p.get("points", 0))),
    POINTS_EXPIRING: lambda p: _("%(points)s of your points expire on %(date)s: spend them in the shop.",
                                 points=number(p.get("points", 0)), date=_day(p.get("date"))),
    CONTEST_STARTED: lambda p: _("The contest «%(title)s» has started.", title=p.get("title", "")),
    CONTEST_FROZEN: lambda p: _contest_place(
        p, "The board of «%(title)s» is frozen until the results; your place: %(place)s.",
        "The board of «%(title)s» is frozen until the results."),
    CONTEST_FINALISED: lambda p: _contest_place(
        p, "The results of «%(title)s» are final: your place is %(place)s.",
        "The results of «%(title)s» are final."),
    LEAD_PROTECTION_ENDING: lambda p: _("The protection of lead #%(id)s (%(customer)s) ends on %(date)s.",
                                        id=p.get("id"), customer=p.get("customer", ""), date=_day(p.get("date"))),
    ORDER_UPDATED: lambda p: _("Order #%(id)s: %(status)s", id=p.get("id"),
                               status=str(ORDER_STATES.get(p.get("status"), p.get("status", "")))),
    NEWS_PUBLISHED: lambda p: _("News: %(title)s", title=p.get("title", "")),
    REFERRAL_PAID: lambda p: _("%(name)s, whom you invited, made a first approved sale: your referral bonus is "
                               "%(points)s points.", name=p.get("name", ""), points=number(p.get("points") or 0)),
    REFERRAL_NOT_PAID: lambda p: _("%(name)s, whom you invited, made a first approved sale, but no referral bonus "
                                   "was paid: %(reason)s.", name=p.get("name", ""),
                                   reason=str(REFERRAL_REASONS.get(p.get("reason"), p.get("reason", "")))),
}

# Marked for extraction: the contest texts are picked above by condition.
_MARKED = (
    _l("The board of «%(title)s» is frozen until the results; your place: %(place)s."),
    _l("The board of «%(title)s» is frozen until the results."),
    _l("The results of «%(title)s» are final: your place is %(place)s."),
    _l("The results of «%(title)s» are final."),
)


def text_of(kind: str, params: dict) -> str:
    """The notification's sentence in the current language."""
    render = _TEXTS.get(kind)
    return render(params or {}) if render else kind
