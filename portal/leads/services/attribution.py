"""Attributing sales to leads: the window of invoice dates, the check of the lead a sale names, and the
lead's share of an approved sale (paid on approval, taken back on reversal)."""

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from portal.auth.models import User
from portal.core.errors import DomainError
from portal.core.inn import normalize_inn
from portal.core.sql import compare_and_set
from portal.core.time import local_date, utcnow
from portal.extensions import db
from portal.leads.holders import won_protection_end
from portal.leads.models import ATTRIBUTABLE, QUALIFIED, REJECTED, SALE_SHARE, WON, Lead, LeadAward
from portal.ledger import services as ledger
from portal.partners.history import audience_on, company_on
from portal.program.services import get_settings
from portal.rules import engine

from .settings import _matching_rules, get_lead_settings
from .transitions import _event


def attribution_window(lead: Lead) -> tuple[date, date] | None:
    """Invoice dates that count for the lead: from its registration to N days after qualification."""
    if lead.qualified_at is None:
        return None
    days = get_lead_settings().attribution_days
    return local_date(lead.submitted_at), local_date(lead.qualified_at) + timedelta(days=days)


def in_window(lead: Lead, invoice_date: date) -> bool:
    window = attribution_window(lead)
    return window is not None and window[0] <= invoice_date <= window[1]


def _mine_or_my_company(user: User, company_id: int | None = None):
    company_id = company_id or user.company_id
    return or_(Lead.user_id == user.id, Lead.company_id == company_id) if company_id else Lead.user_id == user.id


def attributable_leads(user: User) -> list[Lead]:
    """The leads of my company (mine first) a sale can still be attributed to, for the claim form to suggest."""
    return list(db.session.scalars(select(Lead).where(_mine_or_my_company(user), Lead.status.in_(ATTRIBUTABLE))
                                   .order_by((Lead.user_id == user.id).desc(), Lead.qualified_at.desc(),
                                             Lead.id.desc()).limit(200)))


def matching_lead(user: User, customer_inn: str | None, invoice_date: date | None) -> Lead | None:
    """The lead a sale to this customer closes without being told: a qualified (protected) or won lead of the
    seller's company on the invoice date with the same customer INN whose window holds the invoice date; the
    seller's own first, then the most recently qualified."""
    inn = normalize_inn(customer_inn)
    if not inn or invoice_date is None:
        return None
    company_id = company_on(user.id, invoice_date) or user.company_id
    candidates = db.session.scalars(
        select(Lead).where(_mine_or_my_company(user, company_id), Lead.customer_inn == inn,
                           Lead.status.in_(ATTRIBUTABLE))
        .order_by((Lead.user_id == user.id).desc(), Lead.qualified_at.desc(), Lead.id.desc()).limit(20))
    return next((lead for lead in candidates if in_window(lead, invoice_date)), None)


def resolve_claim_lead(user: User, raw_lead_id, customer_inn: str | None, invoice_date: date | None) -> int | None:
    """The hook the claims service calls: check the lead a sale names and return its id. `None` means the sale
    says nothing: the matching lead of the company, if any, is found by the customer INN; "" means no lead."""
    if raw_lead_id is None:
        lead = matching_lead(user, customer_inn, invoice_date)
        return lead.id if lead is not None else None
    text = str(raw_lead_id or "").strip()
    if not text:
        return None
    lead = db.session.get(Lead, int(text)) if text.isdigit() and len(text) < 10 else None
    company_id = (company_on(user.id, invoice_date) if invoice_date else None) or user.company_id
    if lead is None or (lead.user_id != user.id and lead.company_id != company_id):
        raise DomainError(_l("Choose one of your company's leads from the list."), field="lead_id")
    if lead.status not in ATTRIBUTABLE:
        raise DomainError(_l("Lead #%(id)s is %(status)s: sales can be attributed only to qualified leads.",
                             id=lead.id, status=lead.status_label.lower()), field="lead_id")
    if normalize_inn(customer_inn) != lead.customer_inn:
        raise DomainError(_l("The customer INN of the sale must be the lead's: %(inn)s.", inn=lead.customer_inn),
                          field="lead_id")
    if invoice_date is not None and not in_window(lead, invoice_date):
        start, end = attribution_window(lead)
        raise DomainError(_l("Lead #%(id)s counts sales invoiced from %(start)s to %(end)s.", id=lead.id,
                             start=start.strftime("%d.%m.%Y"), end=end.strftime("%d.%m.%Y")), field="lead_id")
    return lead.id


def share_key(claim_id: int) -> str:
    return f"lead-share:claim:{claim_id}"


def sale_share(claim, lead: Lead) -> tuple[int, list[dict]]:
    """The lead's share of an approved sale, through the rules engine: each line earns the most specific
    percent rule for the lead's channel and the line's category (category beats channel)."""
    rules = _matching_rules(("revenue_pct", "margin_pct"), lead.channel_id)
    if not rules:
        return 0, []
    specs = [engine.RuleSpec(id=r.id, name=r.name, kind=r.kind, value=Decimal(r.value),
                             categories=frozenset([r.category]) if r.category else frozenset(),
                             priority=2 * (r.category is not None) + (r.channel_id is not None), stackable=False)
             for r in rules]
    audience = audience_on(claim.user_id, claim.invoice_date)  # the seller's audience on the invoice date
    sale = engine.ClaimInput(audience, claim.company_id, claim.invoice_date, tuple(
        engine.LineInput(line.product_id, line.product.category, line.quantity, line.unit_price_kopecks,
                         line.unit_cost_kopecks) for line in claim.lines))
    awards = engine.calculate(sale, specs, get_settings().point_value_kopecks)
    parts = [{"rule_id": a.rule_id, "rule": a.rule_name, "kind": a.kind, "points": a.points,
              "base_kopecks": sum(d["base_kopecks"] for d in a.details), "percent": a.details[0]["percent"]}
             for a in awards]
    return engine.total_points(awards), parts


def claim_lead_share(claim) -> int | None:
    """The lead's share of a sale in points: credited (approved), expected (draft or under review) or none."""
    if claim.lead_id is None:
        return None
    award = db.session.scalar(select(LeadAward).where(LeadAward.key == share_key(claim.id)))
    if award is not None:
        return 0 if award.reversed_at is not None else award.points
    lead = claim.lead
    if claim.status not in ("draft", "submitted") or lead is None or not in_window(lead, claim.invoice_date):
        return 0
    return sale_share(claim, lead)[0]


def expected_share(user: User, raw_lead_id, invoice_date: date, lines) -> tuple[Lead, int] | None:
    """The share a sale being typed would earn the lead it names: (lead, points), for the claim form."""
    text = str(raw_lead_id or "").strip()
    lead = db.session.get(Lead, int(text)) if text.isdigit() and len(text) < 10 else None
    if lead is None or lead.status not in ATTRIBUTABLE or not in_window(lead, invoice_date):
        return None
    if lead.user_id != user.id and lead.company_id != user.company_id:
        return None
    sale = SimpleNamespace(user_id=user.id, company_id=company_on(user.id, invoice_date) or user.company_id,
                           invoice_date=invoice_date, lines=lines)
    return lead, sale_share(sale, lead)[0]


def award_sale_share(claim, actor: User | None) -> LeadAward | None:
    """On approval of a sale naming a lead: credit the lead's share once, and mark the lead won."""
    lead = claim.lead
    if lead is None or lead.qualified_at is None or lead.status == REJECTED:
        return None
    if not in_window(lead, claim.invoice_date):
        return None
    key = share_key(claim.id)
    # The sale closes the lead; a lead closed meanwhile (won by another sale, lost) keeps its state.
    now = utcnow()
    if lead.status == QUALIFIED and compare_and_set(lead, "status", QUALIFIED, status=WON, closed_at=now,
                                                    protected_until=won_protection_end(
                                                        lead, now, get_lead_settings().won_protection_days),
                                                    decided_by_id=actor.id if actor else None):
        _event(lead, WON, actor, str(_l("Sale #%(id)s", id=claim.id)))
    points, parts = sale_share(claim, lead)
    award = None
    if points > 0 and db.session.scalar(select(LeadAward.id).where(LeadAward.key == key)) is None:
        ledger.earn(claim.user_id, points, key=key, source_type="lead_share", source_id=claim.id,
                    actor_id=actor.id if actor else None, params={"lead": lead.id, "invoice": claim.invoice_number})
        award = LeadAward(key=key, kind=SALE_SHARE, lead_id=lead.id, claim_id=claim.id, user_id=claim.user_id,
                          rule_id=parts[0]["rule_id"], points=points,
                          details={"parts": parts, "revenue_kopecks": claim.total_kopecks})
        db.session.add(award)
    db.session.flush()
    return award


def claw_back_sale_share(claim, actor: User | None) -> None:
    """On reversal of a sale: take the lead's share back through the ledger."""
    award = db.session.scalar(select(LeadAward).where(LeadAward.key == share_key(claim.id)))
    if award is None or award.reversed_at is not None:
        return
    posted = ledger.find_transaction(award.key)
    if posted is not None:
        ledger.reverse_transaction(posted, actor_id=actor.id if actor else None,
                                   reason=f"#{claim.id}", key=f"{award.key}:reversed")
    award.reversed_at = utcnow()
    db.session.flush()
