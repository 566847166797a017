"""Importing plans from a spreadsheet: a report for every row, and nothing written until confirmed."""

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.auth.models import PARTNER_ROLES, User
from portal.core.errors import DomainError
from portal.core.params import clean_text
from portal.extensions import db
from portal.plans.models import APPROVED_CLAIMS, MARGIN, METRIC_LABELS, MONEY_METRICS, SALES_AMOUNT, UNITS, SalesPlan
from portal.plans.periods import Period
from portal.plans.services import find_plan, parse_target, set_plan

HEADERS = {
    "email": "email", "e-mail": "email", "почта": "email", "эл. почта": "email", "электронная почта": "email",
    "metric": "metric", "метрика": "metric", "показатель": "metric",
    "target": "target", "план": "target", "цель": "target",
}
METRIC_NAMES = {
    "sales_amount": SALES_AMOUNT, "sales": SALES_AMOUNT, "сумма продаж": SALES_AMOUNT, "выручка": SALES_AMOUNT,
    "units": UNITS, "штуки": UNITS, "штук": UNITS, "количество": UNITS,
    "margin": MARGIN, "маржа": MARGIN,
    "approved_claims": APPROVED_CLAIMS, "claims": APPROVED_CLAIMS, "продажи": APPROVED_CLAIMS,
    "одобренные продажи": APPROVED_CLAIMS,
}
for _metric, _label in METRIC_LABELS.items():
    METRIC_NAMES.setdefault(str(_label).lower(), _metric)


@dataclass
class PlanRow:
    number: int
    email: str
    metric: str | None = None
    target: int | None = None
    user: User | None = None
    errors: list[str] = field(default_factory=list)
    replaces: int | None = None  # the target it replaces

    @property
    def valid(self) -> bool:
        return self.user is not None and not self.errors


def check_plan_import(rows: list[list], period: Period, default_metric: str = "") -> list[PlanRow]:
    """Check every row (email, metric, target); nothing is written."""
    if not rows:
        raise DomainError(_l("The file is empty."), field="file")
    header = [HEADERS.get(str(h or "").strip().lower()) for h in rows[0]]
    if "email" not in header or "target" not in header or ("metric" not in header and not default_metric):
        raise DomainError(_l("The file needs the columns email, metric and target (the metric may be chosen "
                             "above instead)."), field="file")
    if len(rows) > 20_001:
        raise DomainError(_l("The file has too many rows: at most 20,000 at a time."), field="file")
    body = [(number, raw) for number, raw in enumerate(rows[1:], start=2) if any(str(v or "").strip() for v in raw)]
    emails = set()
    parsed = []
    for number, raw in body:
        values = {name: raw[i] if i < len(raw) else None for i, name in enumerate(header) if name}
        email = clean_text(values.get("email")).strip().lower()[:254]
        parsed.append((number, email, values))
        emails.add(email)
    people = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))}
    result, seen = [], set()
    for number, email, values in parsed:
        row = PlanRow(number, email)
        metric_text = clean_text(values.get("metric")).strip().lower()[:100] if "metric" in header else ""
        row.metric = METRIC_NAMES.get(metric_text) if metric_text else (default_metric or None)
        person = people.get(email)
        if not email:
            row.errors.append(str(_l("no email")))
        elif person is None:
            row.errors.append(str(_l("nobody with this email is in the program")))
        elif person.role not in PARTNER_ROLES:
            row.errors.append(str(_l("plans are set for partner staff only")))
        if row.metric is None:
            row.errors.append(str(_l("unknown metric")))
        else:
            try:
                row.target = parse_target(row.metric, values.get("target"))
            except DomainError as exc:
                row.errors.append(str(exc.message).rstrip(".").lower())
            if (email, row.metric) in seen:
                row.errors.append(str(_l("repeats an earlier row")))
            seen.add((email, row.metric))
        if not row.errors:
            row.user = person
            existing = find_plan(person.id, row.metric, period)
            if existing is not None:
                if existing.period_kind != period.kind:
                    row.errors.append(str(_l("this person has a plan of another period kind starting that day")))
                    row.user = None
                else:
                    row.replaces = existing.target
        result.append(row)
    return result


def apply_plan_import(rows: list[PlanRow], period: Period, actor: User) -> int:
    """Write every row's target (source 'import'), or none when any row is wrong. Returns how many plans changed."""
    if not rows or not all(row.valid for row in rows):
        raise DomainError(_l("The file has errors: nothing was imported."))
    written = 0
    for row in rows:
        if row.replaces != row.target:
            set_plan(row.user, row.metric, period, row.target, actor, source="import")
            written += 1
    return written


def plans_table(period: Period) -> tuple[list[str], list[list]]:
    """The period's plans in the import's layout: the template to fill in, and an export that re-imports
    unchanged (money in roubles)."""
    rows = db.session.execute(
        select(User.email, SalesPlan.metric, SalesPlan.target).join(User, User.id == SalesPlan.user_id)
        .where(SalesPlan.period_start == period.start, SalesPlan.period_kind == period.kind)
        .order_by(User.email, SalesPlan.metric))
    return ["email", "metric", "target"], [
        [email, metric, Decimal(target) / 100 if metric in MONEY_METRICS else target] for email, metric, target in rows]
