"""Mail about contests, each in the recipient's language."""

from flask import url_for

from portal.core.mail import send_email

from .models import Contest, ContestWinner


def send_start(contest: Contest, user) -> None:
    send_email(user.email, "contests/email/start_subject.txt", "contests/email/start_body.txt", locale=user.locale,
               contest=contest, user=user, link=url_for("contests.detail", contest_id=contest.id, _external=True))


def send_results(contest: Contest, user, winner: ContestWinner | None) -> None:
    send_email(user.email, "contests/email/results_subject.txt", "contests/email/results_body.txt",
               locale=user.locale, contest=contest, user=user, winner=winner,
               link=url_for("contests.detail", contest_id=contest.id, _external=True))
