"""The contest console for the program team: the list, the editor, review, the moves of a contest's life,
protocol and board export."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import to_user_timezone, to_utc
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from portal.auth.models import STAFF_ROLES
from portal.contests import lookups, services
from portal.contests.forms import DATETIME_FORMAT, ContestForm, EditingNoteForm, parse_amount, split_list
from portal.contests.models import (
    FINALISED,
    FINISHED,
    LIVE_STATES,
    MONEY_METRICS,
    PLAN_PERCENT,
    Contest,
)
from portal.contests.pdf import render_pdf
from portal.contests.views.blueprint import bp
from portal.contests.views.common import contest_labels, contest_or_404, league_boards
from portal.core.auth import roles_required
from portal.core.errors import DomainError
from portal.core.exports import export_response
from portal.core.forms import show_error
from portal.core.time import utcnow
from portal.extensions import db
from portal.partners.models import PartnerCompany, PartnerGroup
from portal.products.models import Product


@bp.get("/console/contests")
@roles_required(*STAFF_ROLES)
def manage():
    contests = list(db.session.scalars(select(Contest).options(selectinload(Contest.leagues))
                                       .order_by(Contest.starts_at.desc(), Contest.id.desc())))
    for contest in contests:
        if services.advance_contest(contest):
            db.session.commit()
    return render_template("contests/manage.html", contests=contests, labels=contest_labels())


def _form_choices() -> dict:
    groups = list(db.session.scalars(select(PartnerGroup).order_by(PartnerGroup.name)))
    categories = list(db.session.scalars(select(Product.category).distinct().order_by(Product.category)))
    return {"groups": groups, "categories": categories}


def _local(moment):
    return to_user_timezone(moment).replace(tzinfo=None) if moment else None


def _data_from(form: ContestForm) -> services.ContestData:
    skus = split_list(form.product_skus.data)[:500]
    products = {p.sku: p.id for p in db.session.scalars(select(Product).where(Product.sku.in_(skus)))}
    missing = [sku for sku in skus if sku not in products]
    if missing:
        raise DomainError(_("Unknown SKUs: %(skus)s", skus=", ".join(missing[:10])), field="product_skus")
    inns = split_list(form.company_inns.data)[:2000]
    companies = {c.inn: c.id for c in db.session.scalars(select(PartnerCompany).where(PartnerCompany.inn.in_(inns)))}
    missing = [inn for inn in inns if inn not in companies]
    if missing:
        raise DomainError(_("No company with INN: %(inns)s", inns=", ".join(missing[:10])), field="company_inns")
    metric = form.metric.data
    scale = 100 if metric in MONEY_METRICS or metric == PLAN_PERCENT else 1
    return services.ContestData(
        title=form.title.data or "", description=form.description.data or "", rules=form.rules.data or "",
        title_en=form.title_en.data or "", description_en=form.description_en.data or "",
        rules_en=form.rules_en.data or "",
        starts_at=to_utc(form.starts_at.data).replace(tzinfo=None),
        ends_at=to_utc(form.ends_at.data).replace(tzinfo=None),
        freeze_at=to_utc(form.freeze_at.data).replace(tzinfo=None) if form.freeze_at.data else None,
        metric=metric, plan_metric=form.plan_metric.data or None,
        product_ids=[products[s] for s in dict.fromkeys(skus)], categories=list(form.categories.data or []),
        audience=form.audience.data or None, group_ids=list(dict.fromkeys(form.group_ids.data or [])),
        company_ids=[companies[i] for i in dict.fromkeys(inns)], enrolment=form.enrolment.data,
        late_joiners=form.late_joiners.data, league_mode=form.league_mode.data,
        winners_per_league=form.winners_per_league.data, prizes=form.prizes(),
        min_value=int(parse_amount(form.min_value.data) * scale),
    )


def _form_data(contest: Contest) -> dict:
    skus = list(db.session.scalars(select(Product.sku).where(Product.id.in_(contest.product_ids or []))))
    inns = list(db.session.scalars(select(PartnerCompany.inn).where(PartnerCompany.id.in_(contest.company_ids or []))))
    scale = 100 if contest.metric in MONEY_METRICS or contest.metric == PLAN_PERCENT else 1
    min_value = contest.min_value / scale
    return {
        "title": contest.title, "description": contest.description, "rules": contest.rules,
        "title_en": contest.title_en or "", "description_en": contest.description_en or "",
        "rules_en": contest.rules_en or "",
        "starts_at": _local(contest.starts_at), "ends_at": _local(contest.ends_at),
        "freeze_at": _local(contest.freeze_at),
        "metric": contest.metric, "plan_metric": contest.plan_metric or "", "product_skus": ", ".join(skus),
        "categories": contest.categories, "audience": contest.audience or "", "group_ids": contest.group_ids,
        "company_inns": ", ".join(inns), "enrolment": contest.enrolment, "late_joiners": contest.late_joiners,
        "league_mode": contest.league_mode, "winners_per_league": contest.winners_per_league,
        "prize_points": ", ".join(str(p.get("points", 0)) for p in contest.prizes or []),
        "prize_texts": "\n".join(p.get("text", "") for p in contest.prizes or []),
        "min_value": str(int(min_value)) if min_value == int(min_value) else f"{min_value:.2f}",
        "tie_break": contest.tie_break,
    }


def _running_formdata(contest: Contest) -> MultiDict:
    formdata = MultiDict()
    for name, value in _form_data(contest).items():
        if isinstance(value, list):
            for item in value:
                formdata.add(name, str(item))
        elif hasattr(value, "strftime"):
            formdata.add(name, value.strftime(DATETIME_FORMAT))
        else:
            formdata.add(name, "" if value is None else str(value))
    for name in ("description", "description_en", "ends_at", "csrf_token"):
        if name in request.form:
            formdata.setlist(name, request.form.getlist(name))
    return formdata


@bp.route("/console/contests/new", methods=["GET", "POST"])
@bp.route("/console/contests/<int:contest_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def edit(contest_id=None):
    contest = contest_or_404(contest_id) if contest_id else None
    choices = _form_choices()
    running = contest is not None and contest.status in LIVE_STATES
    if request.method == "GET" and contest is not None:
        form = ContestForm(data=_form_data(contest), **choices)
    elif running:
        # Only the description and the end date come from the page; the rest stays as it is.
        form = ContestForm(formdata=_running_formdata(contest), **choices)
    else:
        form = ContestForm(**choices)
    if form.validate_on_submit():
        try:
            if running:
                data = services.data_of(contest)
                data.description = form.description.data or ""
                data.description_en = form.description_en.data or ""
                if form.ends_at.data != _local(contest.ends_at).replace(second=0, microsecond=0):
                    data.ends_at = to_utc(form.ends_at.data).replace(tzinfo=None)
            else:
                data = _data_from(form)
            contest = services.save_contest(data, current_user, contest)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The contest is saved."), "success")
            return redirect(url_for("contests.review", contest_id=contest.id))
    return render_template("contests/form.html", form=form, contest=contest, running=running,
                           overlaps=lookups.overlap_notices(contest) if contest else [])


@bp.get("/console/contests/<int:contest_id>")
@roles_required(*STAFF_ROLES)
def review(contest_id):
    contest = contest_or_404(contest_id)
    has_freeze = contest.frozen_at is not None
    context = {
        "contest": contest, "labels": contest_labels(), "form": EditingNoteForm(),
        "live_boards": league_boards(contest, False, counted=True),
        "frozen_boards": league_boards(contest, True, counted=True) if has_freeze else None,
        "participants_see_frozen": lookups.shows_frozen_board(contest),
        "pending": lookups.pending_claims(contest) if contest.status in (FINISHED, *LIVE_STATES) else [],
        "reversed_late": lookups.reversed_after_final(contest),
        "winners": services.winners_of(contest),
        "overlaps": lookups.overlap_notices(contest), "inactive": lookups.inactive_products(contest),
        "changes": lookups.changes_of(contest), "now": utcnow(),
    }
    return render_template("contests/review.html", **context)


def _action(contest_id: int, action, success: str):
    contest = contest_or_404(contest_id)
    if not EditingNoteForm().validate_on_submit():
        abort(400)
    try:
        action(contest, current_user)
    except services.AlreadyFinalised as exc:
        db.session.rollback()
        flash(str(exc.message), "info")
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(url_for("contests.review", contest_id=contest_id))


@bp.post("/console/contests/<int:contest_id>/publish")
@roles_required(*STAFF_ROLES)
def publish(contest_id):
    return _action(contest_id, services.publish_contest, _("The contest is published."))


@bp.post("/console/contests/<int:contest_id>/unpublish")
@roles_required(*STAFF_ROLES)
def unpublish(contest_id):
    return _action(contest_id, services.unpublish_contest, _("The contest is a draft again."))


@bp.post("/console/contests/<int:contest_id>/cancel")
@roles_required(*STAFF_ROLES)
def cancel(contest_id):
    return _action(contest_id, services.cancel_contest, _("The contest is cancelled."))


@bp.post("/console/contests/<int:contest_id>/freeze")
@roles_required(*STAFF_ROLES)
def freeze(contest_id):
    return _action(contest_id, services.freeze_contest,
                   _("The board is frozen: participants see places as of now until the results are final."))


@bp.post("/console/contests/<int:contest_id>/unfreeze")
@roles_required(*STAFF_ROLES)
def unfreeze(contest_id):
    return _action(contest_id, services.unfreeze_contest, _("The board is unfrozen: participants see live places."))


@bp.post("/console/contests/<int:contest_id>/finalise")
@roles_required(*STAFF_ROLES)
def finalise(contest_id):
    # The winners' and everyone's result mails go out from the clock job (`portal run-jobs`), not the request.
    return _action(contest_id, services.finalise_contest,
                   _("The results are final: winners are fixed and points prizes posted."))


def _protocol_context(contest: Contest) -> dict:
    winners = services.winners_of(contest)
    by_league = {league.id: [w for w in winners if w.league_id == league.id] for league in contest.leagues}
    return {"contest": contest, "by_league": by_league, "labels": contest_labels(), "now": utcnow()}


@bp.get("/console/contests/<int:contest_id>/protocol")
@roles_required(*STAFF_ROLES)
def protocol(contest_id):
    contest = contest_or_404(contest_id)
    if contest.status != FINALISED:
        flash(_("The protocol is ready once the results are final."), "warning")
        return redirect(url_for("contests.review", contest_id=contest.id))
    html = render_template("contests/protocol.html", **_protocol_context(contest))
    if request.args.get("format") == "pdf":
        pdf = render_pdf(html)
        if pdf is None:
            flash(_("PDF is not available on this server: print the page instead."), "warning")
            return redirect(url_for("contests.protocol", contest_id=contest.id))
        return current_app.response_class(pdf, mimetype="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="contest-{contest.id}-protocol.pdf"'})
    return html


@bp.get("/console/contests/<int:contest_id>/board.<any(xlsx, csv):fmt>")
@roles_required(*STAFF_ROLES)
def board_export(contest_id, fmt):
    """The full board: at once when small, by the worker with a progress page when large."""
    contest = contest_or_404(contest_id)
    return export_response("contest-board", {"contest_id": contest.id}, fmt)
