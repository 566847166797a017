"""Importing plans from a spreadsheet: a report for every row, and nothing written until confirmed.

A row names a person by email (a personal plan) or, with no email, a partner company by INN (the company's plan
as a whole)."""

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.auth.models import PARTNER_ROLES, User
from portal.core.errors import DomainError
from portal.core.params import clean_text
from portal.extensions import db
from portal.partners.models import APPROVED, PartnerCompany
from portal.plans.models import (
    APPROVED_CLAIMS,
    MARGIN,
    METRIC_LABELS,
    MONEY_METRICS,
    SALES_AMOUNT,
    UNITS,
    CompanyPlan,
    SalesPlan,
)
from portal.plans.periods import Period
from portal.plans.services import find_company_plan, find_plan, parse_target, set_company_plan, set_plan

HEADERS = {
    "email": "email", "e-mail": "email", "почта": "email", "эл. почта": "email", "электронная почта": "email",
    "inn": "inn", "инн": "inn", "company inn": "inn", "инн компании": "inn",
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
    inn: str = ""
    company: PartnerCompany | None = None  # a company's plan as a whole: the row names an INN and no person

    @property
    def valid(self) -> bool:
        return (self.user is not None or self.company is not None) and not self.errors


def check_plan_import(rows: list[list], period: Period, default_metric: str = "") -> list[PlanRow]:
    """Check every row (email, metric, target); nothing is written."""
    if not rows:
        raise DomainError(_l("The file is empty."), field="file")
    header = [HEADERS.get(str(h or "").strip().lower()) for h in rows[0]]
    if ("email" not in header and "inn" not in header) or "target" not in header \
            or ("metric" not in header and not default_metric):
        raise DomainError(_l("The file needs the columns email (or inn for a company's plan), metric and target "
                             "(the metric may be chosen above instead)."), field="file")
    if len(rows) > 20_001:
        raise DomainError(_l("The file has too many rows: at most 20,000 at a time."), field="file")
    body = [(number, raw) for number, raw in enumerate(rows[1:], start=2) if any(str(v or "").strip() for v in raw)]
    emails, inns = set(), set()
    parsed = []
    for number, raw in body:
        values = {name: raw[i] if i < len(raw) else None for i, name in enumerate(header) if name}
        email = clean_text(values.get("email")).strip().lower()[:254]
        inn = _inn_text(values.get("inn")) if not email else ""
        parsed.append((number, email, inn, values))
        emails.add(email)
        inns.add(inn)
    people = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))}
    companies = {c.inn: c for c in db.session.scalars(select(PartnerCompany).where(PartnerCompany.inn.in_(inns)))}
    result, seen = [], set()
    for number, email, inn, values in parsed:
        row = PlanRow(number, email, inn=inn)
        metric_text = clean_text(values.get("metric")).strip().lower()[:100] if "metric" in header else ""
        row.metric = METRIC_NAMES.get(metric_text) if metric_text else (default_metric or None)
        if inn:
            result.append(_company_row(row, companies.get(inn), values, period, seen))
            continue
        person = people.get(email)
        if not email:
            row.errors.append(str(_l("no email or company INN")))
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


def _inn_text(value) -> str:
    """An INN as a cell holds it: digits, also when a spreadsheet made a number of it."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(value).strip().replace(" ", "")[:20]


def _company_row(row: PlanRow, company: PartnerCompany | None, values: dict, period: Period, seen: set) -> PlanRow:
    """A row with an INN and no email: the company's plan as a whole."""
    if company is None or company.status != APPROVED:
        row.errors.append(str(_l("no partner company of the program has this INN")))
    if row.metric is None:
        row.errors.append(str(_l("unknown metric")))
    else:
        try:
            row.target = parse_target(row.metric, values.get("target"))
        except DomainError as exc:
            row.errors.append(str(exc.message).rstrip(".").lower())
        if ("inn", row.inn, row.metric) in seen:
            row.errors.append(str(_l("repeats an earlier row")))
        seen.add(("inn", row.inn, row.metric))
    if not row.errors:
        existing = find_company_plan(company.id, row.metric, period)
        if existing is not None and existing.period_kind != period.kind:
            row.errors.append(str(_l("this company has a plan of another period kind starting that day")))
        else:
            row.company = company
            row.replaces = existing.target if existing is not None else None
    return row


def apply_plan_import(rows: list[PlanRow], period: Period, actor: User) -> int:
    """Write every row's target (source 'import'), or none when any row is wrong. Returns how many plans changed."""
    if not rows or not all(row.valid for row in rows):
        raise DomainError(_l("The file has errors: nothing was imported."))
    written = 0
    for row in rows:
        if row.replaces != row.target:
            if row.company is not None:
                set_company_plan(row.company, row.metric, period, row.target, actor, source="import")
            else:
                set_plan(row.user, row.metric, period, row.target, actor, source="import")
            written += 1
    return written


def plans_table(period: Period) -> tuple[list[str], list[list]]:
    """The period's plans in the import's layout: the template to fill in, and an export that re-imports
    unchanged (money in roubles). People's plans first (by email), then companies' own plans (by INN, no email)."""
    people = db.session.execute(
        select(User.email, SalesPlan.metric, SalesPlan.target).join(User, User.id == SalesPlan.user_id)
        .where(SalesPlan.period_start == period.start, SalesPlan.period_kind == period.kind)
        .order_by(User.email, SalesPlan.metric))
    companies = db.session.execute(
        select(PartnerCompany.inn, CompanyPlan.metric, CompanyPlan.target)
        .join(PartnerCompany, PartnerCompany.id == CompanyPlan.company_id)
        .where(CompanyPlan.period_start == period.start, CompanyPlan.period_kind == period.kind)
        .order_by(PartnerCompany.inn, CompanyPlan.metric))

    def money(metric, target):
        return Decimal(target) / 100 if metric in MONEY_METRICS else target

    return ["email", "inn", "metric", "target"], [
        *[[email, "", metric, money(metric, target)] for email, metric, target in people],
        *[["", inn, metric, money(metric, target)] for inn, metric, target in companies]]
