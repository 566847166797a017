"""Checks of what features keep against a rebuild from their sources. Each reads only, or rebuilds inside a
savepoint it rolls back, and says what drifted in words a program manager reads (Russian by default)."""

from collections import defaultdict

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from portal.auth.models import User
from portal.checks.base import rolled_back
from portal.contests.boards import bucket_drift
from portal.contests.models import SCORED_STATES, Contest
from portal.contests.scoring import recompute_contest
from portal.extensions import db
from portal.kpi import totals as kpi_totals
from portal.kpi.aggregates import recompute
from portal.kpi.models import COUNTER_METRICS, KpiCounter, KpiPersonScope, KpiStage
from portal.kpi.stages import closed_stage_drift as closed_stage_drifts
from portal.leads.holders import lead_holder_problems
from portal.ledger.reports import check_ledger
from portal.partners.models import PartnerCompany
from portal.payments.models import Payment
from portal.plans.actuals import recompute_actuals, recompute_company_actuals
from portal.plans.models import METRIC_LABELS
from portal.shop.checks import order_problems
from portal.shop.models import Order


def _names(user_ids) -> dict[int, str]:
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all())


def ledger_drift() -> list:
    """The ledger's own check (`portal check-ledger`): transactions sum to zero, balances, running balances, lots,
    totals."""
    with rolled_back():  # check_ledger tunes the planner with SET LOCAL: undone with the savepoint
        problems = check_ledger()
    return [_l("The points ledger disagrees with itself: %(detail)s", detail=problem) for problem in problems]


def contest_drift() -> list:
    """Each contest that keeps scores: the stored scores against a rebuild from sales, courses and leads, and the
    board's counts per score range (kept by triggers) against the scores."""
    findings = []
    with rolled_back():
        contests = db.session.execute(select(Contest.id, Contest.title).where(Contest.status.in_(SCORED_STATES))
                                      .order_by(Contest.id)).all()
        for contest_id, title in contests:
            drift = recompute_contest(db.session.get(Contest, contest_id), fix=False)
            if drift:
                findings.append(_l("Contest «%(title)s»: %(count)s scores differ from the sales, courses and leads "
                                   "they count (`flask portal recompute-contests` rebuilds them).",
                                   title=title, count=len(drift)))
            if bucket_drift(contest_id):
                findings.append(_l("Contest «%(title)s»: the board's counts of people per score range differ from "
                                   "the scores, so places shown may be wrong.", title=title))
    return findings


def kpi_drift() -> list:
    """The KPI counters and people-per-stage rows against kpi.aggregates.recompute(), run in a rolled-back
    savepoint: per stage, how many rows the rebuild would change."""
    metrics = [getattr(KpiCounter, metric) for metric in COUNTER_METRICS]

    def counters():
        rows = db.session.execute(select(KpiCounter.stage_id, KpiCounter.scope_kind, KpiCounter.scope_key, *metrics))
        return {(stage, kind, key): tuple(values) for stage, kind, key, *values in rows if any(values)}

    def people():
        # A row at zero (what a reversal leaves) counts for nothing, and the rebuild writes none: not a difference.
        return set(db.session.execute(select(KpiPersonScope.stage_id, KpiPersonScope.user_id,
                                             KpiPersonScope.scope_kind, KpiPersonScope.scope_key,
                                             KpiPersonScope.sales, KpiPersonScope.courses)
                                      .where(or_(KpiPersonScope.sales != 0, KpiPersonScope.courses != 0))).all())

    with rolled_back():
        counters_before, people_before = counters(), people()
        recompute()
        counters_after, people_after = counters(), people()
    changed_counters, changed_people = defaultdict(int), defaultdict(int)
    for key in set(counters_before) | set(counters_after):
        if counters_before.get(key) != counters_after.get(key):
            changed_counters[key[0]] += 1
    for row in people_before ^ people_after:
        changed_people[row[0]] += 1
    stages = set(changed_counters) | set(changed_people)
    if not stages:
        return []
    names = {stage.id: stage.name for stage in db.session.scalars(select(KpiStage).where(KpiStage.id.in_(stages)))}
    findings = []
    for stage_id in sorted(stages):
        if changed_counters[stage_id]:
            findings.append(_l("KPI stage «%(stage)s»: %(count)s counters differ from the registrations, sales, "
                               "courses, leads and points they count.",
                               stage=names.get(stage_id, stage_id), count=changed_counters[stage_id]))
        if changed_people[stage_id]:
            findings.append(_l("KPI stage «%(stage)s»: %(count)s rows of people with sales or courses differ from "
                               "the source.", stage=names.get(stage_id, stage_id), count=changed_people[stage_id]))
    return findings


def kpi_total_drift() -> list:
    """The companies' and groups' figures summed over the stages (what the lists rank) against a sum of the stages'
    stored results and counters."""
    stored, rebuilt = kpi_totals.stored_totals(), kpi_totals.rebuilt_totals()
    differing = sum(1 for key in set(stored) | set(rebuilt) if stored.get(key) != rebuilt.get(key))
    if not differing:
        return []
    return [_l("KPI totals: %(count)s companies and groups have totals over the stages that differ from their stages' "
               "figures (`flask --app wsgi portal kpi recompute` rebuilds them).", count=differing)]


def points_day_drift() -> list:
    """The points issued per program day (the budget's run rate) against the ledger's issuing entries."""
    stored, rebuilt = kpi_totals.stored_points_days(), kpi_totals.points_days_from_ledger()
    days = sorted(day for day in set(stored) | set(rebuilt) if stored.get(day, 0) != rebuilt.get(day, 0))
    return [_l("Points issued on %(day)s: %(kept)s kept for the budget, %(ledger)s in the ledger (`flask --app wsgi "
               "portal kpi recompute` rebuilds them).", day=format_date(day), kept=stored.get(day, 0),
               ledger=rebuilt.get(day, 0)) for day in days]


def plan_actual_drift() -> list:
    """The sales plans' monthly actuals against the approved claims (plans.actuals.recompute_actuals, not fixing)."""
    with rolled_back():
        drifts = recompute_actuals(fix=False)
    by_person_month = defaultdict(list)
    for drift in drifts:
        by_person_month[(drift.user_id, drift.month)].append(drift)
    names = _names(user_id for user_id, _month in by_person_month)
    findings = []
    for (user_id, month), items in sorted(by_person_month.items()):
        details = "; ".join(f"{METRIC_LABELS.get(d.metric, d.metric)}: {d.stored} → {d.actual}" for d in items)
        findings.append(_l("Sales plan of %(person)s for %(month)s: the results kept differ from the approved sales "
                           "(kept → approved: %(details)s).",
                           person=names.get(user_id, user_id), month=format_date(month, "LLLL y"), details=details))
    return findings


def company_plan_actual_drift() -> list:
    """The companies' monthly actuals (for company plans) against the approved claims recorded for each company."""
    with rolled_back():
        drifts = recompute_company_actuals(fix=False)
    by_company_month = defaultdict(list)
    for drift in drifts:
        by_company_month[(drift.user_id, drift.month)].append(drift)
    names = dict(db.session.execute(select(PartnerCompany.id, PartnerCompany.name).where(
        PartnerCompany.id.in_({company_id for company_id, _month in by_company_month}))).all()) if drifts else {}
    findings = []
    for (company_id, month), items in sorted(by_company_month.items()):
        details = "; ".join(f"{METRIC_LABELS.get(d.metric, d.metric)}: {d.stored} → {d.actual}" for d in items)
        findings.append(_l("Sales of company %(company)s for %(month)s (company plans): the results kept differ from "
                           "the approved sales (kept → approved: %(details)s).",
                           company=names.get(company_id, company_id), month=format_date(month, "LLLL y"),
                           details=details))
    return findings


def closed_stage_drift() -> list:
    """A closed KPI stage whose stored results (what was reported when it closed) differ from the live counters:
    a sale approved late into it, say. The manager recalculates the stage with a reason to store the new figures."""
    return [_l("KPI stage “%(stage)s” changed since closing: %(change)s (recalculate it with a reason to store "
               "the new figures).", stage=drift.stage.name, change=drift.text) for drift in closed_stage_drifts()]


def lead_holder_drift() -> list:
    """At most one lead holds (protects) a customer INN at a time, judged by the leads' states (leads' own rule)."""
    return lead_holder_problems()


def order_payment_drift() -> list:
    """Orders against their points and card payments (the shop's own rule: shop/checks.order_problems), and every
    succeeded card payment is for the order's card share."""
    wrong_amount = db.session.execute(
        select(Order.id, Payment.amount_kopecks, Order.card_kopecks).join(Payment, Payment.order_id == Order.id)
        .where(Payment.status == "succeeded", Payment.amount_kopecks != Order.card_kopecks).order_by(Order.id)).all()
    return order_problems() + [
        _l("Order #%(id)s: the card payment is for %(paid)s kopecks, the order's card share is %(share)s kopecks.",
           id=order_id, paid=paid, share=share) for order_id, paid, share in wrong_amount]
