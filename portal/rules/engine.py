"""The points calculation, as pure functions over plain values, so it can be tested as tables.

How a claim earns points:
1. A rule applies when it is active, the invoice date is in its window, and the participant's audience
   and company are in its scope. A rule scoped by partner groups applies when the claim's company was in
   at least one of them on the invoice date (the caller passes those group ids in, as it does the company).
2. Each line is scored by the line rules (per unit, % of revenue, % of margin) whose product or category
   scope covers it. Stacking rules all add up; of the exclusive ones only the highest priority counts.
   Percent rules are converted to points at the program's point value: 5% of 10,000 RUB of revenue at
   1 RUB a point is 500 points. Margin is revenue minus cost, never below zero.
3. A campaign multiplier covering the line multiplies its points; with several, the largest factor
   counts (factors never compound). The extra points are shown as the campaign's own award.
4. Fixed-per-claim rules add their points once per claim (when the claim has a product in scope).
5. Each rule's contribution to a line is rounded half up to whole points; then each rule's total is
   capped by its per-claim cap and by what is left of its per-period cap for the participant.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from portal.rules.models import FIXED_PER_CLAIM, LINE_KINDS, MULTIPLIER, PER_UNIT, REVENUE_PCT


@dataclass(frozen=True)
class LineInput:
    product_id: int
    category: str
    quantity: int
    unit_price_kopecks: int
    unit_cost_kopecks: int

    @property
    def revenue_kopecks(self) -> int:
        return self.quantity * self.unit_price_kopecks

    @property
    def margin_kopecks(self) -> int:
        return max(0, self.quantity * (self.unit_price_kopecks - self.unit_cost_kopecks))


@dataclass(frozen=True)
class ClaimInput:
    audience: str | None
    company_id: int | None
    invoice_date: date
    lines: tuple[LineInput, ...]
    group_ids: frozenset = frozenset()  # the company's partner groups on the invoice date


@dataclass(frozen=True)
class RuleSpec:
    id: int
    name: str
    kind: str
    value: Decimal
    product_ids: frozenset = frozenset()
    categories: frozenset = frozenset()
    company_ids: frozenset = frozenset()
    group_ids: frozenset = frozenset()
    audience: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    priority: int = 100
    stackable: bool = True
    cap_per_claim: int | None = None
    period_cap_left: int | None = None  # what the per-period cap still allows this participant

    def applies_to(self, claim: ClaimInput) -> bool:
        return (
            (self.valid_from is None or claim.invoice_date >= self.valid_from)
            and (self.valid_to is None or claim.invoice_date <= self.valid_to)
            and (self.audience is None or self.audience == claim.audience)
            and (not self.company_ids or claim.company_id in self.company_ids)
            and (not self.group_ids or not self.group_ids.isdisjoint(claim.group_ids))
        )

    def covers(self, line: LineInput) -> bool:
        if not self.product_ids and not self.categories:
            return True
        return line.product_id in self.product_ids or line.category in self.categories


@dataclass
class Award:
    rule_id: int
    rule_name: str
    kind: str
    points: int = 0
    uncapped: int = 0
    details: list = field(default_factory=list)


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _line_points(rule: RuleSpec, line: LineInput, point_value_kopecks: int) -> tuple[Decimal, dict]:
    if rule.kind == PER_UNIT:
        return Decimal(line.quantity) * rule.value, {"units": line.quantity, "value": str(rule.value)}
    base = line.revenue_kopecks if rule.kind == REVENUE_PCT else line.margin_kopecks
    points = Decimal(base) * rule.value / Decimal(100) / Decimal(point_value_kopecks)
    return points, {"base_kopecks": base, "percent": str(rule.value)}


def calculate(claim: ClaimInput, rules: list[RuleSpec], point_value_kopecks: int) -> list[Award]:
    """The awards a claim earns, one per rule that gave it points, in the order rules are listed."""
    applicable = sorted((r for r in rules if r.applies_to(claim)), key=lambda r: (-r.priority, r.id))
    awards: dict[int, Award] = {}

    def award_for(rule: RuleSpec) -> Award:
        return awards.setdefault(rule.id, Award(rule.id, rule.name, rule.kind))

    for line in claim.lines:
        line_rules = [r for r in applicable if r.kind in LINE_KINDS and r.covers(line)]
        exclusive = next((r for r in line_rules if not r.stackable), None)
        chosen = [r for r in line_rules if r.stackable or r is exclusive]
        multipliers = [r for r in applicable if r.kind == MULTIPLIER and r.covers(line)]
        booster = max(multipliers, key=lambda r: (r.value, r.priority), default=None)
        for rule in chosen:
            raw, details = _line_points(rule, line, point_value_kopecks)
            points = _round(raw)
            award = award_for(rule)
            award.uncapped += points
            award.details.append({"product_id": line.product_id, "points": points, **details})
            if booster is not None and booster.value > 1:
                extra = _round(raw * (booster.value - 1))
                boost = award_for(booster)
                boost.uncapped += extra
                boost.details.append({"product_id": line.product_id, "points": extra, "factor": str(booster.value)})

    for rule in applicable:
        if rule.kind == FIXED_PER_CLAIM and any(rule.covers(line) for line in claim.lines):
            award = award_for(rule)
            award.uncapped += _round(rule.value)
            award.details.append({"points": _round(rule.value)})

    by_id = {r.id: r for r in applicable}
    result = []
    for rule_id, award in awards.items():
        rule = by_id[rule_id]
        points = award.uncapped
        if rule.cap_per_claim is not None:
            points = min(points, rule.cap_per_claim)
        if rule.period_cap_left is not None:
            points = min(points, max(0, rule.period_cap_left))
        award.points = points
        if points > 0:
            result.append(award)
    return sorted(result, key=lambda a: (-by_id[a.rule_id].priority, a.rule_id))


def total_points(awards: list[Award]) -> int:
    return sum(a.points for a in awards)


