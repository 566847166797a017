"""Metric reports by mail: managers subscribe to daily, weekly or monthly reports; the scheduled job sends each
report exactly once per recipient and period, however often (or however concurrently) it runs.

The delivery row (recipient, kind, period start) is inserted before the mail is written, under a unique
constraint: a second run at the same moment fails on it (PostgreSQL waits for the first to commit, SQLite's
write lock serialises) and sends nothing. The mail goes into the outbox in the same transaction.

A report tells the period's own figures and the stage to the period's end, for the program's calendar days:
the counters are per stage and follow every event up to now, so a report sent on the morning of the 7th
would count that morning's approvals in the 6th. The counted KPIs are therefore read from the source rows,
one set-based query per source over a range of stored moments (the program's days turned into UTC):

- the period's own figures: sales approved in the period (a reversal counts on its day, negative), whichever
  stage their invoice date falls in; registrations, first course passes, qualified leads and points issued in it;
- the stage (and the program) to the period's end: sales dated in the stage up to the period's last day and
  approved by the end of that day; the rest from the stage's first day to the period's end.

Shares and levels (people, companies) come from the stage's counters as they are when the mail is written."""

from datetime import date, datetime, timedelta

from flask import url_for
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError

from portal.auth.models import PARTNER_ROLES, STAFF_ROLES, User
from portal.claims.models import APPROVED, REVERSED, Claim, ClaimEvent, ClaimLine
from portal.core.mail import send_email
from portal.core.time import local_date, local_day_start, utcnow
from portal.extensions import db
from portal.kpi import stages
from portal.kpi.kpis import COUNT, KPIS
from portal.kpi.models import DAILY, MONTHLY, REPORT_KINDS, WEEKLY, KpiReportDelivery, KpiSubscription
from portal.kpi.table import scorecard
from portal.leads.models import Lead
from portal.ledger.models import ADJUSTMENT, ISSUANCE, Account, LedgerEntry, LedgerTransaction
from portal.training.models import CourseCompletion

__all__ = ["REPORT_KINDS", "send_due_reports", "set_subscriptions", "subscriptions_of"]


def subscriptions_of(user) -> set[str]:
    return set(db.session.scalars(select(KpiSubscription.kind).where(KpiSubscription.user_id == user.id)))


def set_subscriptions(user, kinds: set[str]) -> None:
    current = {s.kind: s for s in db.session.scalars(select(KpiSubscription).where(KpiSubscription.user_id == user.id))}
    for kind in REPORT_KINDS:
        if kind in kinds and kind not in current:
            db.session.add(KpiSubscription(user_id=user.id, kind=kind))
        elif kind not in kinds and kind in current:
            db.session.delete(current[kind])
    db.session.flush()


def recent_deliveries(user, limit: int = 10) -> list[KpiReportDelivery]:
    return list(db.session.scalars(select(KpiReportDelivery).where(KpiReportDelivery.user_id == user.id)
                                   .order_by(KpiReportDelivery.sent_at.desc()).limit(limit)))


def last_period(kind: str, day: date) -> tuple[date, date]:
    """The last complete day, ISO week or month before `day`."""
    if kind == DAILY:
        yesterday = day - timedelta(days=1)
        return yesterday, yesterday
    if kind == WEEKLY:
        this_monday = day - timedelta(days=day.weekday())
        return this_monday - timedelta(days=7), this_monday - timedelta(days=1)
    first = day.replace(day=1)
    last = first - timedelta(days=1)
    return last.replace(day=1), last


# The counted KPIs a report reads from the source rows.
SOURCE_KPIS = ("registered", "claims_approved", "sales_amount", "margin", "units", "courses_passed",
               "leads_qualified", "points_issued")


def _claim_figures(moment_from: datetime | None, moment_to: datetime, invoice_from: date | None = None,
                   invoice_to: date | None = None) -> dict[str, int]:
    """Sales approved (minus those reversed) between two stored moments: one query over the claims' history."""
    margin = case((ClaimLine.unit_price_kopecks > ClaimLine.unit_cost_kopecks,
                   ClaimLine.quantity * (ClaimLine.unit_price_kopecks - ClaimLine.unit_cost_kopecks)), else_=0)
    lines = (select(ClaimLine.claim_id, func.sum(ClaimLine.quantity * ClaimLine.unit_price_kopecks).label("sales"),
                    func.sum(ClaimLine.quantity).label("units"), func.sum(margin).label("margin"))
             .group_by(ClaimLine.claim_id).subquery())
    sign = case((ClaimEvent.status == APPROVED, 1), else_=-1)
    query = (select(func.sum(sign), func.sum(sign * lines.c.sales), func.sum(sign * lines.c.units),
                    func.sum(sign * lines.c.margin))
             .select_from(ClaimEvent).join(Claim, Claim.id == ClaimEvent.claim_id)
             .join(lines, lines.c.claim_id == Claim.id)
             .where(ClaimEvent.status.in_((APPROVED, REVERSED)), ClaimEvent.created_at < moment_to))
    if moment_from is not None:
        query = query.where(ClaimEvent.created_at >= moment_from)
    if invoice_from is not None:
        query = query.where(Claim.invoice_date >= invoice_from, Claim.invoice_date <= invoice_to)
    claims, sales, units, margin_sum = db.session.execute(query).one()
    return {"claims_approved": int(claims or 0), "sales_amount": int(sales or 0), "units": int(units or 0),
            "margin": int(margin_sum or 0)}


def _other_figures(moment_from: datetime, moment_to: datetime) -> dict[str, int]:
    """Registrations, first course passes, qualified leads and points issued between two stored moments."""
    def count(column, *where):
        return int(db.session.scalar(select(func.count()).where(column >= moment_from, column < moment_to, *where))
                   or 0)

    issued = db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0))
        .join(Account, Account.id == LedgerEntry.account_id)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(Account.kind.in_((ISSUANCE, ADJUSTMENT)), LedgerTransaction.created_at >= moment_from,
               LedgerTransaction.created_at < moment_to))
    return {"registered": count(User.created_at, User.role.in_(PARTNER_ROLES)),
            "courses_passed": count(CourseCompletion.passed_at),
            "leads_qualified": count(Lead.qualified_at),
            "points_issued": -int(issued or 0)}


def period_figures(start: date, end: date) -> dict[str, int]:
    """The counted KPIs of the program's days `start` to `end` themselves: what was approved, registered,
    passed, qualified or issued in them."""
    moment_from, moment_to = local_day_start(start), local_day_start(end + timedelta(days=1))
    return {**_claim_figures(moment_from, moment_to), **_other_figures(moment_from, moment_to)}


def stage_to_date_figures(first_day: date, end: date) -> dict[str, int]:
    """The counted KPIs from `first_day` (a stage's, or the program's) to the end of the program's day `end`,
    as they stood then: sales dated in those days and approved by the end of `end`."""
    moment_to = local_day_start(end + timedelta(days=1))
    return {**_claim_figures(None, moment_to, first_day, end),
            **_other_figures(local_day_start(first_day), moment_to)}


def report_figures(day: date, start: date | None = None) -> tuple[list[dict], dict]:
    """The stage of `day` (or the last stage), each KPI with the period's own figure (`start` to `day`), the
    stage to `day` against its plan and the program to `day`; and the program-level numbers to compare next
    time. Counted KPIs are as of the end of `day`; shares and levels as the counters are now."""
    all_stages = stages.all_stages()
    card = scorecard(all_stages, day=day)
    index = card.running_index if card.running_index is not None else len(all_stages) - 1
    stage = all_stages[index] if all_stages and index >= 0 else None
    period = period_figures(start or day, day) if stage is not None else {}
    in_stage = stage_to_date_figures(stage.starts_on, min(day, stage.ends_on)) if stage is not None else {}
    program = stage_to_date_figures(all_stages[0].starts_on, day) if stage is not None else {}
    lines, figures = [], {}
    for row in card.rows:
        cell = row.cells[index] if index >= 0 and row.cells else row.total
        counted = row.kpi.kind == COUNT and row.kpi.code in SOURCE_KPIS and stage is not None
        actual = in_stage[row.kpi.code] if counted else cell.actual
        total = program[row.kpi.code] if counted else row.total.actual
        percent = actual * 100 / cell.target if cell.target and actual is not None else None
        lines.append({"code": row.kpi.code, "label": str(row.kpi.label), "money": row.kpi.money,
                      "period": period[row.kpi.code] if counted else None,
                      "target": cell.target, "actual": actual, "percent": percent,
                      "total_actual": total, "total_target": row.total.target})
        figures[row.kpi.code] = total
    return lines, {"stage": stage.name if stage is not None else "", "figures": figures}


def _previous(user_id: int, kind: str, period_start: date) -> dict:
    row = db.session.scalar(select(KpiReportDelivery).where(
        KpiReportDelivery.user_id == user_id, KpiReportDelivery.kind == kind,
        KpiReportDelivery.period_start < period_start).order_by(KpiReportDelivery.period_start.desc()).limit(1))
    return row.figures.get("figures", {}) if row is not None else {}


def send_report(user: User, kind: str, start: date, end: date, now: datetime) -> bool:
    """Claim (recipient, kind, period) and write the mail; False when another run claimed it first."""
    lines, figures = report_figures(end, start)
    try:
        with db.session.begin_nested():
            db.session.add(KpiReportDelivery(user_id=user.id, kind=kind, period_start=start, period_end=end,
                                             figures=figures, sent_at=now))
            db.session.flush()
    except IntegrityError:
        return False
    before = _previous(user.id, kind, start)
    for line in lines:
        previous = before.get(line["code"])
        line["change"] = None if previous is None or line["total_actual"] is None else line["total_actual"] - previous
    send_email(user.email, "kpi/email/report_subject.txt", "kpi/email/report_body.txt", locale=user.locale,
               category="reports", user=user, kind=kind, start=start, end=end, lines=lines, stage=figures["stage"],
               link=url_for("kpi.index", _external=True), dashboard=url_for("home.dashboard", _external=True),
               settings=url_for("kpi.subscriptions", _external=True))
    return True


def send_due_reports(now: datetime | None = None, kinds=REPORT_KINDS) -> int:
    """The job: every subscriber's report for the last complete period of each kind, once. Commits each."""
    now = now or utcnow()
    sent = 0
    for kind in kinds:
        start, end = last_period(kind, local_date(now))
        people = db.session.scalars(
            select(User).join(KpiSubscription, KpiSubscription.user_id == User.id)
            .where(KpiSubscription.kind == kind, User.active.is_(True), User.role.in_(STAFF_ROLES),
                   ~select(KpiReportDelivery.id).where(
                       KpiReportDelivery.user_id == User.id, KpiReportDelivery.kind == kind,
                       KpiReportDelivery.period_start == start).exists())
            .order_by(User.id)).all()
        for user in people:
            try:
                if send_report(user, kind, start, end, now):
                    sent += 1
                db.session.commit()
            except IntegrityError:  # the other run committed its claim between our check and our insert
                db.session.rollback()
    return sent


KIND_MONTHLY = MONTHLY  # re-exported for templates
KPI_CODES = [k.code for k in KPIS]
