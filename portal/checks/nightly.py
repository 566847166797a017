"""The worker's nightly check: run every check and mail the program managers what drifted (nothing when clean)."""

from datetime import datetime

from sqlalchemy import select

from portal.auth.models import MANAGER, User
from portal.checks.base import Result
from portal.checks.runner import run_checks
from portal.core.mail import send_email
from portal.extensions import db


def mail_managers(drifted: list[Result]) -> int:
    """Write one mail per active program manager, in their language, listing the findings (flush, no commit)."""
    managers = db.session.scalars(select(User).where(User.role == MANAGER, User.active.is_(True))
                                  .order_by(User.id)).all()
    for manager in managers:
        send_email(manager.email, "checks/email/drift_subject.txt", "checks/email/drift_body.txt",
                   locale=manager.locale, category="reports", user=manager, results=drifted, count=len(drifted))
    return len(managers)


def run_nightly_check(now: datetime | None = None) -> str:
    """The job: every check; when any found a drift, mail the managers and commit the mail. Changes nothing else."""
    results = run_checks()
    db.session.rollback()  # whatever the checks read: the mail goes out in a transaction of its own
    drifted = [result for result in results if not result.clean]
    if not drifted:
        return f"0 of {len(results)} checks found a drift"
    mailed = mail_managers(drifted)
    db.session.commit()
    return f"{len(drifted)} of {len(results)} checks found a drift, {mailed} managers mailed"
