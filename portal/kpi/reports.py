"""Metric reports by mail: managers subscribe to daily, weekly or monthly reports; the scheduled job sends each
report exactly once per recipient and period, however often (or however concurrently) it runs.

The delivery row (recipient, kind, period start) is inserted before the mail is written, under a unique
constraint: a second run at the same moment fails on it (PostgreSQL waits for the first to commit, SQLite's
write lock serialises) and sends nothing. The mail goes into the outbox in the same transaction."""

from datetime import date, datetime, timedelta

from flask import url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.auth.models import STAFF_ROLES, User
from portal.core.mail import send_email
from portal.core.time import local_date, utcnow
from portal.extensions import db
from portal.kpi import stages
from portal.kpi.kpis import KPIS
from portal.kpi.models import DAILY, MONTHLY, REPORT_KINDS, WEEKLY, KpiReportDelivery, KpiSubscription
from portal.kpi.table import scorecard

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


def report_figures(day: date) -> tuple[list[dict], dict]:
    """The running stage's KPI table (or the last stage's) and the program-level numbers to compare next time."""
    all_stages = stages.all_stages()
    card = scorecard(all_stages, day=day)
    index = card.running_index if card.running_index is not None else len(all_stages) - 1
    lines, figures = [], {}
    for row in card.rows:
        cell = row.cells[index] if index >= 0 and row.cells else row.total
        lines.append({"code": row.kpi.code, "label": str(row.kpi.label), "money": row.kpi.money,
                      "target": cell.target, "actual": cell.actual, "percent": cell.percent,
                      "total_actual": row.total.actual, "total_target": row.total.target})
        figures[row.kpi.code] = row.total.actual
    return lines, {"stage": all_stages[index].name if all_stages and index >= 0 else "", "figures": figures}


def _previous(user_id: int, kind: str, period_start: date) -> dict:
    row = db.session.scalar(select(KpiReportDelivery).where(
        KpiReportDelivery.user_id == user_id, KpiReportDelivery.kind == kind,
        KpiReportDelivery.period_start < period_start).order_by(KpiReportDelivery.period_start.desc()).limit(1))
    return row.figures.get("figures", {}) if row is not None else {}


def send_report(user: User, kind: str, start: date, end: date, now: datetime) -> bool:
    """Claim (recipient, kind, period) and write the mail; False when another run claimed it first."""
    lines, figures = report_figures(end)
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
               user=user, kind=kind, start=start, end=end, lines=lines, stage=figures["stage"],
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
