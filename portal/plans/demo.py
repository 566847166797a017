"""Demo personal sales plans for the current month (and the last one), with actuals from the demo's sales, and the
demo partner admin's company's own plan."""

from datetime import timedelta

from sqlalchemy import select

from portal.auth.models import PARTNER_ROLES, User
from portal.core.time import today, utcnow
from portal.extensions import db
from portal.partners.models import PartnerGroup
from portal.plans import actuals, services
from portal.plans.models import APPROVED_CLAIMS, MONTH, SALES_AMOUNT, UNITS, PlanActual, SalesPlan
from portal.plans.periods import period_of


def _round_to(value: int, step: int) -> int:
    return max(step, (value + step - 1) // step * step)


def load(rng) -> None:
    actuals.recompute_actuals(fix=True)  # the demo's claims were approved through the usual events already
    actuals.recompute_company_actuals(fix=True)
    manager = db.session.scalar(select(User).where(User.email == "manager@demo.test"))
    current = period_of(MONTH, today())
    previous = current.previous()
    sellers = list(db.session.scalars(
        select(User).where(User.role.in_(PARTNER_ROLES), User.audience == "manager", User.active.is_(True))
        .order_by(User.id).limit(60)))
    done = {(a.user_id, a.month): a for a in db.session.scalars(select(PlanActual))}
    now = utcnow()
    for period in (previous, current):
        for person in sellers:
            actual = done.get((person.id, period.start))
            sold = actual.sales_amount if actual else 0
            if person.email == "seller@demo.test" and period is current:
                target = _round_to(max(sold * 5 // 3, 30_000_000), 1_000_000)  # about 60% done
            else:
                target = _round_to(int(max(sold, 15_000_000) * rng.uniform(0.8, 2.2)), 1_000_000)
            db.session.add(SalesPlan(user_id=person.id, metric=SALES_AMOUNT, period_kind=MONTH,
                                     period_start=period.start, period_end=period.end, target=target,
                                     source="import" if period is previous else "manual",
                                     updated_by_id=manager.id, created_at=now, updated_at=now))
            if rng.random() < 0.4 or person.email == "seller@demo.test":
                claims = actual.approved_claims if actual else 0
                db.session.add(SalesPlan(user_id=person.id, metric=APPROVED_CLAIMS, period_kind=MONTH,
                                         period_start=period.start, period_end=period.end,
                                         target=max(2, claims + rng.randint(0, 3)), source="manual",
                                         updated_by_id=manager.id, created_at=now, updated_at=now))
    db.session.flush()
    # Specialists in the regions get a default: units, for everyone without a plan of their own.
    regions = db.session.scalar(select(PartnerGroup).where(PartnerGroup.name == "Регионы"))
    if regions is not None and current.end >= today():
        default, _result = services.set_default(current, UNITS, 6, manager, audience="specialist",
                                                group_id=regions.id)
        default.created_at = now - timedelta(days=1)
    # The demo partner admin's company has a plan of its own: its sales this month, whoever sells.
    head = db.session.scalar(select(User).where(User.email == "head@demo.test"))
    if head is not None and head.company is not None and head.company.is_approved:
        sold = actuals.company_actuals_for([head.company_id], current).get(head.company_id, {}).get(SALES_AMOUNT, 0)
        services.set_company_plan(head.company, SALES_AMOUNT, current, _round_to(max(sold * 3 // 2, 100_000_000),
                                                                                  10_000_000), manager)
    db.session.flush()
