"""Managing earning rules, and scoring claims with them."""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.audit import services as audit
from portal.core.errors import DomainError
from portal.core.time import utcnow
from portal.extensions import db
from portal.groups.services import company_group_ids
from portal.program.services import get_settings
from portal.rules import engine
from portal.rules.models import CAP_PERIODS, KINDS, MULTIPLIER, EarningRule


@dataclass
class RuleData:
    name: str
    kind: str
    value: Decimal
    product_ids: list[int]
    categories: list[str]
    company_ids: list[int]
    audience: str | None
    valid_from: date | None
    valid_to: date | None
    priority: int
    stackable: bool
    cap_per_claim: int | None
    cap_per_period: int | None
    cap_period: str
    active: bool = True
    group_ids: list[int] = field(default_factory=list)
    name_en: str | None = None  # optional English name; Russian shown when empty


def _check(data: RuleData) -> None:
    if not (data.name or "").strip():
        raise DomainError(_l("Give the rule a name."), field="name")
    if data.kind not in KINDS:
        raise DomainError(_l("Choose the kind of rule."), field="kind")
    if data.value is None or data.value <= 0:
        raise DomainError(_l("The value must be positive."), field="value")
    if data.kind == MULTIPLIER and data.value <= 1:
        raise DomainError(_l("A multiplier must be greater than 1, for example 2 for double points."), field="value")
    if data.kind in ("revenue_pct", "margin_pct") and data.value > 100:
        raise DomainError(_l("A percent cannot exceed 100."), field="value")
    if data.valid_from and data.valid_to and data.valid_to < data.valid_from:
        raise DomainError(_l("The rule ends before it starts."), field="valid_to")
    if data.cap_period not in CAP_PERIODS:
        raise DomainError(_l("Choose the cap period."), field="cap_period")


def save_rule(data: RuleData, actor_id: int, rule: EarningRule | None = None) -> EarningRule:
    _check(data)
    if rule is None:
        rule = EarningRule(created_by_id=actor_id)
        db.session.add(rule)
    before = audit.snapshot(rule, vars(data)) if rule.id else {}
    for name, value in vars(data).items():
        setattr(rule, name, value.strip() if isinstance(value, str) else value)
    db.session.flush()
    audit.record(audit.RULE_SAVED, actor_id=actor_id, object_type="rule", object_id=rule.id,
                 changes=audit.diff(before, audit.snapshot(rule, vars(data))))
    return rule


def _period_start(moment: datetime, period: str) -> datetime:
    if period == "year":
        return moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if period == "quarter":
        month = (moment.month - 1) // 3 * 3 + 1
        return moment.replace(month=month, day=1, hour=0, minute=0, second=0, microsecond=0)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def active_rules() -> list[EarningRule]:
    return list(db.session.scalars(select(EarningRule).where(EarningRule.active.is_(True)).order_by(EarningRule.id)))


# What a participant was already awarded by a rule since a moment: (rule_id, since) -> points. The claims feature
# answers it from its awards (rules sit below claims and do not read them).
AwardedSince = Callable[[int, datetime], int]


def rule_specs(user_id: int | None, rules: list[EarningRule] | None = None,
               awarded: AwardedSince | None = None) -> list[engine.RuleSpec]:
    """The active rules as the engine takes them, with what each period cap still allows this participant
    (`awarded` says what each rule already gave them in the period)."""
    now = utcnow()
    specs = []
    for rule in active_rules() if rules is None else rules:
        left = None
        if rule.cap_per_period and user_id is not None and awarded is not None:
            left = rule.cap_per_period - int(awarded(rule.id, _period_start(now, rule.cap_period)))
        specs.append(engine.RuleSpec(
            id=rule.id, name=rule.display_name, kind=rule.kind, value=Decimal(rule.value),
            product_ids=frozenset(rule.product_ids or ()), categories=frozenset(rule.categories or ()),
            company_ids=frozenset(rule.company_ids or ()), group_ids=frozenset(rule.group_ids or ()),
            audience=rule.audience, valid_from=rule.valid_from,
            valid_to=rule.valid_to, priority=rule.priority, stackable=rule.stackable,
            cap_per_claim=rule.cap_per_claim, period_cap_left=left,
        ))
    return specs


def score(claim_input: engine.ClaimInput, user_id: int | None, rules: list[EarningRule] | None = None,
          awarded: AwardedSince | None = None):
    """The awards a claim would earn now, for the preview and for approval (`awarded`: see rule_specs)."""
    if claim_input.company_id is not None and not claim_input.group_ids:
        groups = company_group_ids(claim_input.company_id, on=claim_input.invoice_date)
        claim_input = replace(claim_input, group_ids=groups)
    return engine.calculate(claim_input, rule_specs(user_id, rules, awarded), get_settings().point_value_kopecks)
