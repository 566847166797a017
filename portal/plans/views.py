"""Sales plan pages: the participant's plan, the partner admin's team, and the managers' console."""

import click
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.models import AUDIENCE_LABELS, PARTNER_ADMIN, PARTNER_ROLES, STAFF_ROLES, User
from portal.core import imports as file_imports
from portal.core.auth import roles_required
from portal.core.errors import DomainError
from portal.core.exports import export_response
from portal.core.forms import EmptyForm, show_error
from portal.core.pagination import paginate, paginate_list
from portal.core.params import clean_text, get_or_404, id_arg, text_arg
from portal.core.time import today
from portal.extensions import db
from portal.groups.services import all_groups
from portal.partners.models import PartnerCompany, PartnerGroup
from portal.plans import actuals, imports, services
from portal.plans import company_views as _company_views  # noqa: F401 - company plans' pages, on this blueprint
from portal.plans import exports as _exports  # noqa: F401 - registers the plans export
from portal.plans.blueprint import bp
from portal.plans.blueprint import periods_with as _periods_with
from portal.plans.blueprint import requested_period as _period
from portal.plans.forms import ConfirmImportForm, CopyForm, DefaultForm, ImportPlansForm, PlanForm
from portal.plans.models import METRIC_LABELS, METRICS, SALES_AMOUNT, SalesPlan
from portal.plans.periods import nearby_periods, parse_period, period_of
from portal.products.services import read_rows


@bp.app_context_processor
def plan_card_helper():
    def my_plan_card():
        """The signed-in participant's running plans, for the home page card; None for other roles."""
        if not current_user.is_authenticated or current_user.role not in PARTNER_ROLES:
            return None
        return services.current_plans(current_user)

    return {"my_plan_card": my_plan_card}


@bp.cli.command("recompute")
@click.option("--check", is_flag=True, help="Only report drift; change nothing.")
def recompute_command(check):
    """Rebuild plan actuals from the approved claims and report any drift (flask plans recompute)."""
    drifts = actuals.recompute_actuals(fix=not check)
    for drift in drifts:
        click.echo(f"user {drift.user_id} {drift.month:%Y-%m} {drift.metric}: stored {drift.stored}, "
                   f"claims say {drift.actual}", err=True)
    if not check:
        db.session.commit()
    click.echo(f"Plan actuals checked: {len(drifts)} differences" + ("" if check else " fixed") + ".")
    if check and drifts:
        raise SystemExit(1)


# --- participants and partner admins ----------------------------------------------------------------


@bp.get("/plan")
@roles_required(*PARTNER_ROLES)
def mine():
    return render_template("plans/mine.html", current=services.current_plans(current_user),
                           past=services.past_plans(current_user), today=today(),
                           company_current=services.current_company_plans(current_user.company_id))


@bp.get("/team/plans")
@roles_required(PARTNER_ADMIN)
def team():
    if current_user.company_id is None:
        abort(404)  # a partner admin without a company has no team to show
    period = _period()
    query = services.search_plans(period, metric=request.args.get("metric", ""), company_id=current_user.company_id,
                                  behind=request.args.get("behind") == "1", q=text_arg("q"),
                                  audience=request.args.get("audience", ""), order=request.args.get("order", ""))
    page = paginate(query)
    return render_template("plans/team.html", page=page, progress=services.with_progress(page.items),
                           period=period, periods=_periods_with(period), metric_labels=METRIC_LABELS,
                           audience_labels=AUDIENCE_LABELS,
                           own_plans=services.company_plans_in(period, company_id=current_user.company_id))


# --- managers ---------------------------------------------------------------------------------------


def _manager_query(period):
    args = request.args
    return services.search_plans(period, metric=args.get("metric", ""), group_id=id_arg("group"),
                                 company_id=id_arg("company"), behind=args.get("behind") == "1", q=text_arg("q"),
                                 audience=args.get("audience", ""), order=args.get("order", ""))


@bp.get("/console/plans")
@roles_required(*STAFF_ROLES)
def manage():
    period = _period()
    page = paginate(_manager_query(period))
    company = db.session.get(PartnerCompany, id_arg("company")) if id_arg("company") else None
    copy_form = CopyForm()
    copy_form.set_periods(_periods_with(period), period)
    ranking_metric = request.args.get("metric") if request.args.get("metric") in METRIC_LABELS else SALES_AMOUNT
    companies = paginate_list(services.company_ranking(period, ranking_metric, group_id=id_arg("group"),
                                                       audience=request.args.get("audience", ""), limit=None)) \
        if request.args.get("view") == "companies" else None
    return render_template(
        "plans/manage.html", page=page, progress=services.with_progress(page.items), period=period,
        periods=_periods_with(period), metric_labels=METRIC_LABELS, groups=all_groups(), company=company,
        copy_form=copy_form, action_form=EmptyForm(), defaults=services.defaults_for(period),
        audience_labels=AUDIENCE_LABELS, companies=companies, ranking_metric=ranking_metric,
        company_plans=services.company_plans_in(period, company_id=company.id) if company else [],
    )


@bp.get("/console/plans/export.<any(csv, xlsx):fmt>")
@roles_required(*STAFF_ROLES)
def export(fmt):
    return export_response("plans", {"period": _period().key, "metric": request.args.get("metric", ""),
                                     "group_id": id_arg("group"), "company_id": id_arg("company"),
                                     "behind": request.args.get("behind") == "1", "q": text_arg("q")}, fmt)


@bp.route("/console/plans/set", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def set_plan():
    period = _period()
    form = PlanForm()
    form.set_periods(_periods_with(period), period)
    if request.method == "GET" and id_arg("user"):
        person = db.session.get(User, id_arg("user"))
        if person is not None:
            form.email.data = person.email
    if form.validate_on_submit():
        chosen = parse_period(form.period.data)
        person = db.session.query(User).filter(User.email == clean_text(form.email.data).strip().lower()).first()
        try:
            if chosen is None:
                raise DomainError(_("Choose the period."), field="period")
            if person is None:
                raise DomainError(_("Nobody with this email is in the program."), field="email")
            target = services.parse_target(form.metric.data, form.target.data)
            services.set_plan(person, form.metric.data, chosen, target, current_user)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The plan of %(name)s for %(period)s is saved.", name=person.full_name, period=chosen.label),
                  "success")
            return redirect(url_for("plans.manage", period=chosen.key))
    return render_template("plans/set.html", form=form, period=period)


@bp.post("/console/plans/<int:plan_id>/delete")
@roles_required(*STAFF_ROLES)
def delete(plan_id):
    plan = get_or_404(SalesPlan, plan_id)
    key = period_of(plan.period_kind, plan.period_start).key
    if EmptyForm().validate_on_submit():
        services.delete_plan(plan)
        db.session.commit()
        flash(_("The plan is deleted."), "info")
    return redirect(url_for("plans.manage", period=key))


@bp.post("/console/plans/copy")
@roles_required(*STAFF_ROLES)
def copy():
    form = CopyForm()
    form.set_periods(nearby_periods(today()))
    period = parse_period(form.period.data)
    if not form.validate_on_submit() or period is None:
        flash(_("Choose the period."), "danger")
        return redirect(url_for("plans.manage"))
    try:
        copied, kept = services.copy_previous_period(period, current_user, form.metric.data)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "warning")
    else:
        db.session.commit()
        flash(_("Plans copied from %(previous)s: %(copied)s; kept as they were (already planned): %(kept)s.",
                previous=period.previous().label, copied=copied, kept=kept), "success")
    return redirect(url_for("plans.manage", period=period.key))


@bp.route("/console/plans/defaults", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def defaults():
    period = _period()
    form = DefaultForm()
    form.set_periods([p for p in _periods_with(period) if p.end >= today()], period)
    groups = all_groups()
    form.group.choices = [("", _("Any group"))] + [(str(g.id), g.name) for g in groups]
    if form.validate_on_submit():
        chosen = parse_period(form.period.data)
        group_id = int(form.group.data) if form.group.data.isdigit() and len(form.group.data) < 10 else None
        try:
            if chosen is None:
                raise DomainError(_("Choose the period."), field="period")
            if group_id is not None and db.session.get(PartnerGroup, group_id) is None:
                raise DomainError(_("Choose a group from the list."), field="group")
            target = services.parse_target(form.metric.data, form.target.data)
            _default, result = services.set_default(chosen, form.metric.data, target, current_user,
                                                    audience=form.audience.data or None, group_id=group_id)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Default set: %(created)s plans created, %(updated)s earlier defaults updated, %(kept)s plans "
                    "set by hand kept.", created=result.created, updated=result.updated, kept=result.kept),
                  "success")
            return redirect(url_for("plans.manage", period=chosen.key))
    return render_template("plans/defaults.html", form=form, period=period, defaults=services.defaults_for(period),
                           metric_labels=METRIC_LABELS)


@bp.route("/console/plans/import", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def import_plans():
    """Upload: every row checked and shown with what it changes; nothing is written before confirmation."""
    period = _period()
    form = ImportPlansForm()
    form.set_periods(_periods_with(period), period)
    if form.validate_on_submit():
        chosen = parse_period(form.period.data)
        metric = form.metric.data if form.metric.data in METRICS else ""
        upload = form.file.data
        content = upload.read()
        try:
            if chosen is None:
                raise DomainError(_("Choose the period."), field="period")
            rows = imports.check_plan_import(read_rows(upload.filename or "", content), chosen, metric)
        except DomainError as exc:
            show_error(form, exc)
            return render_template("plans/import.html", metric_labels=METRIC_LABELS, form=form, rows=None,
                                   period=period)
        ok = bool(rows) and all(row.valid for row in rows)
        confirm = ConfirmImportForm(token=file_imports.stash_upload(upload.filename or "", content, current_user.id),
                                    period=chosen.key, metric=metric) if ok else None
        return render_template("plans/import.html", metric_labels=METRIC_LABELS, form=form, rows=rows, ok=ok,
                               period=chosen, confirm_form=confirm,
                               created=sum(1 for r in rows if r.valid and r.replaces is None),
                               updated=sum(1 for r in rows if r.valid and r.replaces not in (None, r.target)))
    return render_template("plans/import.html", metric_labels=METRIC_LABELS, form=form, rows=None, period=period)


@bp.post("/console/plans/import/confirm")
@roles_required(*STAFF_ROLES)
def confirm_import():
    """Confirm: the previewed file is read again and written whole, or not at all."""
    form = ConfirmImportForm()
    stashed = file_imports.stashed_upload(form.token.data or "", current_user.id) if form.validate_on_submit() \
        else None
    period = parse_period(form.period.data)
    if stashed is None or period is None:
        flash(_("The uploaded file has expired: upload it again."), "warning")
        return redirect(url_for("plans.import_plans"))
    metric = form.metric.data if form.metric.data in METRICS else ""
    try:
        rows = imports.check_plan_import(read_rows(*stashed), period, metric)
        written = imports.apply_plan_import(rows, period, current_user)
    except DomainError as exc:
        db.session.rollback()  # every row or none
        flash(_("Nothing was imported: %(reason)s", reason=exc.message), "danger")
        return redirect(url_for("plans.import_plans"))
    db.session.commit()
    file_imports.drop_stash(form.token.data)
    flash(_("Plans imported: %(written)s changed.", written=written), "success")
    return redirect(url_for("plans.manage", period=period.key))


@bp.get("/console/plans/import/template.<fmt>")
@roles_required(*STAFF_ROLES)
def import_template(fmt):
    """The chosen period's plans in the import's layout: a template that also re-imports unchanged."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    period = _period()
    header, rows = imports.plans_table(period)
    return file_imports.table_response(fmt, f"plans-{period.key}", header, rows, _("Sales plans"))

