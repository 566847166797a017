"""Contest pages for participants: their contests, a contest's page and board, opting in, why a value is what it is."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.auth.models import PARTNER_ROLES, STAFF_ROLES, User
from portal.contests import boards, lookups, services
from portal.contests.forms import EditingNoteForm
from portal.contests.models import (
    FINALISED,
    LIVE_STATES,
    SCHEDULED,
)
from portal.contests.views.blueprint import bp
from portal.contests.views.common import bounded_arg, contest_labels, contest_or_404, league_boards
from portal.core.auth import roles_required
from portal.core.errors import DomainError
from portal.core.time import utcnow
from portal.extensions import db


@bp.get("/contests")
@roles_required(*PARTNER_ROLES)
def index():
    sections = {"running": [], "upcoming": [], "finished": []}
    contests = lookups.visible_contests(current_user)
    for contest in contests:
        if services.advance_contest(contest):
            db.session.commit()
    places_of = lookups.my_places_in(contests, current_user)
    for contest in contests:
        places = places_of[contest.id]
        if contest.status in LIVE_STATES:
            sections["running"].append((contest, places))
        elif contest.status == SCHEDULED:
            sections["upcoming"].append((contest, places))
        else:
            sections["finished"].append((contest, places))
    return render_template("contests/index.html", sections=sections, labels=contest_labels())


@bp.get("/contests/<int:contest_id>")
@login_required
def detail(contest_id):
    contest = contest_or_404(contest_id)
    staff = current_user.role in STAFF_ROLES
    # Everyone reading this page, managers too ("as participants see it"), sees what participants see.
    frozen = lookups.shows_frozen_board(contest)
    mine = None if staff else current_user.id
    context = {
        "contest": contest, "labels": contest_labels(), "staff": staff, "frozen": frozen, "form": EditingNoteForm(),
        "boards": league_boards(contest, frozen, mine, counted=staff),
        "values_now": lookups.my_live_values(contest, current_user.id) if frozen and mine else {},
        "joined": services.has_joined(contest, current_user),
        "may_join": not staff and contest.enrolment == "opt_in" and services.may_take_part(contest, current_user),
        "winners": services.winners_of(contest) if contest.status == FINALISED else [],
        "now": utcnow(),
    }
    return render_template("contests/detail.html", **context)


@bp.post("/contests/<int:contest_id>/join")
@roles_required(*PARTNER_ROLES)
def join(contest_id):
    contest = contest_or_404(contest_id)
    if EditingNoteForm().validate_on_submit():
        try:
            services.join_contest(contest, current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("You take part in the contest. Your results since its start count."), "success")
    return redirect(url_for("contests.detail", contest_id=contest.id))


@bp.get("/contests/<int:contest_id>/why")
@login_required
def why(contest_id):
    contest = contest_or_404(contest_id)
    user_id = current_user.id
    if current_user.role in STAFF_ROLES:
        user_id = bounded_arg("user", current_user.id)
    league_id = bounded_arg("league")
    league = next((lg for lg in contest.leagues if lg.id == league_id), None)
    if league is None:
        abort(404)
    person = db.get_or_404(User, user_id)
    items = lookups.why_value(contest, user_id, league.id)
    score = boards.score_of(contest.id, league.id, user_id)
    return render_template("contests/why.html", contest=contest, league=league, person=person, items=items,
                           score=score, staff=current_user.role in STAFF_ROLES, reason_label=lookups.reason_label)
