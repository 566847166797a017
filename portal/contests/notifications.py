"""Mail and notifications about contests, each in the recipient's language."""

from flask import url_for
from sqlalchemy import select

from portal.core.mail import send_email
from portal.extensions import db
from portal.notifications.links import link_to
from portal.notifications.services import notify

from . import boards
from .models import Contest, ContestFrozenScore, ContestScore, ContestWinner


def send_start(contest: Contest, user) -> None:
    send_email(user.email, "contests/email/start_subject.txt", "contests/email/start_body.txt", locale=user.locale,
               category="contests", contest=contest, user=user,
               link=url_for("contests.detail", contest_id=contest.id, _external=True))
    notify(user.id, "contest_started", {"id": contest.id, "title": contest.title},
           link_to("contests.detail", contest_id=contest.id))


def send_results(contest: Contest, user, winner: ContestWinner | None) -> None:
    send_email(user.email, "contests/email/results_subject.txt", "contests/email/results_body.txt",
               locale=user.locale, category="contests", contest=contest, user=user, winner=winner,
               link=url_for("contests.detail", contest_id=contest.id, _external=True))
    notify(user.id, "contest_finalised", {"id": contest.id, "title": contest.title,
                                          "place": winner.place if winner else _place(ContestScore, contest, user.id)},
           link_to("contests.detail", contest_id=contest.id))


def notify_frozen(contest: Contest) -> None:
    """Everyone on the frozen board learns their place as it stands until the results."""
    for score in db.session.scalars(select(ContestFrozenScore).where(
            ContestFrozenScore.contest_id == contest.id, ContestFrozenScore.value > 0)
            .order_by(ContestFrozenScore.user_id)):
        notify(score.user_id, "contest_frozen", {
            "id": contest.id, "title": contest.title,
            "place": boards.place_of(contest.id, score.league_id, score, frozen=True)},
            link_to("contests.detail", contest_id=contest.id))


def _place(model, contest: Contest, user_id: int) -> int | None:
    score = db.session.scalar(select(model).where(model.contest_id == contest.id, model.user_id == user_id)
                              .order_by(model.value.desc()).limit(1))
    return boards.place_of(contest.id, score.league_id, score) if score is not None else None
