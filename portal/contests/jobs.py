"""The contests' clock, run by portal/jobs.py: state moves that time drives, then the mails they cause."""

import logging
from datetime import datetime

from sqlalchemy import select

from portal.auth.models import User
from portal.core.sql import compare_and_set
from portal.extensions import db

from . import notifications, services
from .models import FINALISED, FINISHED, FROZEN, RUNNING, Contest, ContestScore

log = logging.getLogger("portal.contests")


def run_clock(now: datetime) -> str:
    moved = 0
    for contest in services.due_contests(now):
        moved += len(services.advance_contest(contest, now))
        db.session.commit()
    started = _mail_once(Contest.status.in_((RUNNING, FROZEN, FINISHED)), "start_mailed_at", now, _start_mails)
    results = _mail_once(Contest.status == FINALISED, "results_mailed_at", now, _result_mails)
    return f"{moved} contest moves, {started} start mails, {results} result mails"


def _mail_once(condition, flag: str, now: datetime, send) -> int:
    """Claim the mail-out by compare-and-set and write the mails into the outbox in the same transaction, so
    two runs never mail twice and a claimed mail-out is never lost."""
    sent = 0
    for contest in db.session.scalars(select(Contest).where(condition, getattr(Contest, flag).is_(None))).all():
        if not compare_and_set(contest, flag, None, **{flag: now}):
            db.session.rollback()
            continue
        sent += send(contest)
        db.session.commit()
    return sent


def _deliver(send, *args) -> int:
    try:
        send(*args)
    except OSError:  # a mail server down must not stop the clock; the log keeps the failure
        log.exception("contest mail to %s failed", args[1].email)
        return 0
    return 1


def _start_mails(contest: Contest) -> int:
    return sum(_deliver(notifications.send_start, contest, user) for user in services.eligible_people(contest))


def _result_mails(contest: Contest) -> int:
    winners = {(w.user_id): w for w in services.winners_of(contest)}
    people = db.session.scalars(select(User).where(User.id.in_(
        select(ContestScore.user_id).where(ContestScore.contest_id == contest.id, ContestScore.value > 0)
    ) | User.id.in_(list(winners))).order_by(User.id))
    return sum(_deliver(notifications.send_results, contest, user, winners.get(user.id)) for user in people)
