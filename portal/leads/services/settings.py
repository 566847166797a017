"""The lead settings, the channels leads come from, and the reward rules."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from portal.core.errors import DomainError
from portal.core.sql import insert_ignoring_duplicates, lower_text
from portal.extensions import db
from portal.leads.models import LeadChannel, LeadRewardRule, LeadSettings

MAX_AMOUNT_KOPECKS = 10**15  # a thousand trillion roubles: anything above is a typo



def get_lead_settings() -> LeadSettings:
    """The settings row, created with defaults the first time it is asked for."""
    found = db.session.get(LeadSettings, 1)
    if found is None:
        # Two requests may ask for the first time at once: the second one's insert is skipped.
        defaults = {c.name: c.default.arg for c in LeadSettings.__table__.columns if c.default is not None}
        defaults["reminder_days"] = [7, 1]
        insert_ignoring_duplicates(LeadSettings, [{**defaults, "id": 1}], ["id"])
        found = db.session.get(LeadSettings, 1)
    return found


def update_lead_settings(*, protection_days: int, extension_days: int, max_extensions: int, attribution_days: int,
                         max_cost_per_lead_kopecks: int | None, reminder_days: list[int],
                         won_protection_days: int | None = None) -> LeadSettings:
    """Save the lead settings; `won_protection_days` None keeps the current won period."""
    found = get_lead_settings()
    if won_protection_days is None:
        won_protection_days = found.won_protection_days
    for name, value, low, high in (("protection_days", protection_days, 1, 366),
                                   ("won_protection_days", won_protection_days, 1, 1096),
                                   ("extension_days", extension_days, 1, 366),
                                   ("max_extensions", max_extensions, 0, 12),
                                   ("attribution_days", attribution_days, 1, 1096)):
        if value is None or not low <= value <= high:
            raise DomainError(_l("Enter a whole number from %(low)s to %(high)s.", low=low, high=high), field=name)
    if max_cost_per_lead_kopecks is not None and not 0 <= max_cost_per_lead_kopecks <= MAX_AMOUNT_KOPECKS:
        raise DomainError(_l("Enter an amount in roubles, for example 12 345,50."), field="max_cost_per_lead")
    days = sorted({d for d in reminder_days if isinstance(d, int)}, reverse=True)
    if any(not 1 <= d <= protection_days for d in days) or len(days) > 5:
        raise DomainError(_l("Up to five reminders, each 1 to %(days)s days before the end.", days=protection_days),
                          field="reminder_days")
    found.protection_days, found.extension_days = protection_days, extension_days
    found.won_protection_days = won_protection_days
    found.max_extensions, found.attribution_days = max_extensions, attribution_days
    found.max_cost_per_lead_kopecks, found.reminder_days = max_cost_per_lead_kopecks, days
    db.session.flush()
    return found


def channels(active_only: bool = True) -> list[LeadChannel]:
    query = select(LeadChannel).order_by(LeadChannel.position, LeadChannel.name_ru)
    if active_only:
        query = query.where(LeadChannel.active.is_(True))
    return list(db.session.scalars(query))


def save_channel(name_ru: str, name_en: str, position: int, active: bool,
                 channel: LeadChannel | None = None) -> LeadChannel:
    name_ru, name_en = " ".join((name_ru or "").split()), " ".join((name_en or "").split())
    if not name_ru:
        raise DomainError(_l("Name the channel."), field="name_ru")
    taken = db.session.scalar(select(LeadChannel.id).where(lower_text(LeadChannel.name_ru) == name_ru.lower()))
    if taken is not None and (channel is None or taken != channel.id):
        raise DomainError(_l("There is such a channel already."), field="name_ru")
    if channel is None:
        channel = LeadChannel()
        db.session.add(channel)
    channel.name_ru, channel.name_en = name_ru[:100], (name_en or name_ru)[:100]
    channel.position, channel.active = position if position is not None else 100, bool(active)
    db.session.flush()
    return channel


def save_reward_rule(*, name: str, kind: str, value: Decimal | None, channel_id: int | None, category: str | None,
                     active: bool, rule: LeadRewardRule | None = None) -> LeadRewardRule:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_l("Give the rule a name."), field="name")
    if kind not in ("fixed", "revenue_pct", "margin_pct"):
        raise DomainError(_l("Choose the kind of rule."), field="kind")
    if value is None or value <= 0:
        raise DomainError(_l("The value must be positive."), field="value")
    if kind != "fixed" and value > 100:
        raise DomainError(_l("A percent cannot exceed 100."), field="value")
    if kind == "fixed" and value != int(value):
        raise DomainError(_l("Fixed points are a whole number."), field="value")
    if channel_id is not None and db.session.get(LeadChannel, channel_id) is None:
        raise DomainError(_l("Choose a channel from the list."), field="channel_id")
    if rule is None:
        rule = LeadRewardRule()
        db.session.add(rule)
    rule.name, rule.kind, rule.value = name[:200], kind, value
    rule.channel_id, rule.category, rule.active = channel_id, (category or "").strip()[:100] or None, bool(active)
    db.session.flush()
    return rule



def _rule_specificity(rule: LeadRewardRule) -> tuple:
    return (rule.category is not None, rule.channel_id is not None)


def _matching_rules(kinds: tuple[str, ...], channel_id: int) -> list[LeadRewardRule]:
    return list(db.session.scalars(select(LeadRewardRule).where(
        LeadRewardRule.active.is_(True), LeadRewardRule.kind.in_(kinds),
        or_(LeadRewardRule.channel_id.is_(None), LeadRewardRule.channel_id == channel_id),
    ).order_by(LeadRewardRule.id)))
