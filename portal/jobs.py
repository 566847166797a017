"""Scheduled jobs. The worker runs each on its schedule (portal/worker.py); `flask --app wsgi portal run-jobs`
runs them all at once, for cron. Each is safe to run at any moment, and never twice at once (a lock row)."""

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from portal.api.idempotency import forget_old_requests
from portal.checks.nightly import run_nightly_check
from portal.claims.services import birthday_bonuses
from portal.config import Config
from portal.contests.jobs import run_clock
from portal.core.time import utcnow
from portal.fraud.services import score_unscored
from portal.kpi.jobs import close_stages, send_reports
from portal.leads.services import expire_protection, send_protection_reminders
from portal.ledger.services import expire_due_points
from portal.news.services import publish_due_news
from portal.notifications.digest import send_digests
from portal.notifications.mailing import forget_used_links
from portal.notifications.reminders import notify_expiring_points
from portal.notifications.services import prune_notifications
from portal.ops.exports import remove_expired_exports
from portal.ops.locks import run_locked
from portal.ops.outbox import deliver_due_mail, prune_sent_mail
from portal.recruitment.sending import send_recruitment_mail
from portal.shop.services import expire_unpaid_orders


def _expire_points(now: datetime) -> str:
    return f"{expire_due_points(now)} lots expired"


# (name, job): later features add theirs. A job commits its own work, unit by unit.
def _birthday_bonuses(now: datetime) -> str:
    return f"{birthday_bonuses(now)} birthday bonuses"


def _expire_unpaid_orders(now: datetime) -> str:
    return f"{expire_unpaid_orders(now)} unpaid orders cancelled"


def _lead_protection(now: datetime) -> str:
    reminded = send_protection_reminders(now)
    return f"{reminded} lead reminders, {expire_protection(now)} lead protections ended"


def _fraud_scoring(now: datetime) -> str:
    return f"{score_unscored(now)} claims scored"


def _deliver_mail(now: datetime) -> str:
    return f"{deliver_due_mail(now)} mails sent"


def _prune_sent_mail(now: datetime) -> str:
    return f"{prune_sent_mail(now)} old mails forgotten"


def _remove_expired_exports(now: datetime) -> str:
    return f"{remove_expired_exports(now)} export files removed"


def _forget_idempotency_keys(now: datetime) -> str:
    return f"{forget_old_requests(now)} API idempotency keys forgotten"


def _contests_clock(now: datetime) -> str:
    return run_clock(now)


def _kpi_close_stages(now: datetime) -> str:
    return close_stages(now)


def _kpi_reports(now: datetime) -> str:
    return send_reports(now)


def _notifications_retention(now: datetime) -> str:
    removed = prune_notifications(now)
    forgotten = forget_used_links(now)
    return f"{removed} notifications older than 90 days removed, {forgotten} spent unsubscribe links forgotten"


def _expiring_points(now: datetime) -> str:
    return f"{notify_expiring_points(now)} people told their points expire soon"


def _publish_news(now: datetime) -> str:
    return f"{publish_due_news(now)} people told about scheduled news"


def _mail_digests(now: datetime) -> str:
    return f"{send_digests(now)} weekly digests"


def _recruitment_mail(now: datetime) -> str:
    return f"{send_recruitment_mail(now)} recruitment invitations and reminders"


JOBS: list[tuple[str, Callable[[datetime], str]]] = [
    ("deliver-mail", _deliver_mail),
    ("remove-expired-exports", _remove_expired_exports),
    ("prune-sent-mail", _prune_sent_mail),
    ("expire-points", _expire_points),
    ("expire-unpaid-orders", _expire_unpaid_orders),
    ("birthday-bonuses", _birthday_bonuses),
    ("lead-protection", _lead_protection),
    ("forget-idempotency-keys", _forget_idempotency_keys),
    ("contests", _contests_clock),
    ("kpi-close-stages", _kpi_close_stages),
    ("kpi-reports", _kpi_reports),
    ("notifications-retention", _notifications_retention),
    ("expiring-points-notice", _expiring_points),
    ("publish-news", _publish_news),
    ("mail-digests", _mail_digests),
    ("recruitment-mail", _recruitment_mail),
    ("fraud-scoring", _fraud_scoring),
]


def _consistency_check(now: datetime) -> str:
    return run_nightly_check(now)


# Jobs the worker runs once a night, at NIGHTLY_HOUR on the program's clock (`portal check --mail` from cron does the
# same); `run-jobs` leaves them out: they read the whole program.
NIGHTLY_JOBS: list[tuple[str, Callable[[datetime], str]]] = [
    ("consistency-check", _consistency_check),
]
NIGHTLY_HOUR = 3


def nightly_utc_hour() -> int:
    """NIGHTLY_HOUR of the program's time zone as an hour of UTC, the worker's schedule clock."""
    offset = datetime.now(ZoneInfo(Config.BABEL_DEFAULT_TIMEZONE or "UTC")).utcoffset()
    return int(NIGHTLY_HOUR - offset.total_seconds() // 3600) % 24


# How often the worker runs a job, in minutes (a divisor of 60); a job not named here runs every five.
SCHEDULES: dict[str, int] = {"deliver-mail": 1, "fraud-scoring": 1}
DEFAULT_EVERY_MINUTES = 5


def run_job(name: str, now: datetime | None = None) -> str:
    """Run one job by name under its lock (a second caller at the same time is told it is skipped)."""
    job = dict(JOBS + NIGHTLY_JOBS)[name]
    return run_locked(name, job, now or utcnow())


def run_due_jobs(now: datetime | None = None) -> list[tuple[str, str]]:
    now = now or utcnow()
    return [(name, run_job(name, now)) for name, _job in JOBS]
