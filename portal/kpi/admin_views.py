"""Plan editing (grid and XLSX import), stages, the budget and report subscriptions."""


from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.models import STAFF_ROLES
from portal.core.auth import roles_required
from portal.core.errors import DomainError
from portal.core.exports import table_response
from portal.core.formatting import money_input
from portal.core.forms import EmptyForm, show_error
from portal.core.params import get_or_404
from portal.core.time import today
from portal.extensions import db
from portal.kpi import (
    budget,
    import_views,  # noqa: F401 - the plan's import and export pages
    imports,
    plan,
    reports,
    stages,
)
from portal.kpi import grid as plan_grids
from portal.kpi.blueprint import bp, scope_args
from portal.kpi.exports import budget_table
from portal.kpi.forms import MonthsForm, RecalculateForm, StageForm, SubscriptionsForm
from portal.kpi.kpis import KPIS
from portal.kpi.models import KpiStage


@bp.route("/kpi/plan", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def plan_grid():
    kind, key = scope_args()
    form = EmptyForm()
    grid = plan_grids.plan_grid(kind, key)
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            changed = plan_grids.save_plan_grid(kind, key, request.form, current_user)
        except plan_grids.PlanNotSaved as error:
            grid = error.grid
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("Plan saved: %(count)s targets changed.", count=changed), "success")
            return redirect(url_for("kpi.plan_grid", scope=kind, key=key))
    return render_template("kpi/plan.html", stages=grid.stages, kpis=KPIS, cells=grid.cells, errors=grid.errors,
                           form=form, cell_name=plan_grids.cell_name, scope_kind=kind, scope_key=key,
                           scope_name=plan.scope_name(kind, key),
                           unplanned=plan.stages_without_plan(grid.stages, kind, key),
                           scopes=imports.scope_choices())


@bp.get("/kpi/plan/revisions")
@roles_required(*STAFF_ROLES)
def revisions():
    return render_template("kpi/revisions.html", revisions=plan.revisions(), kpis=plan.BY_CODE,
                           scope_name=plan.scope_name, shown=plan.shown_target)


@bp.route("/kpi/stages", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def stage_list():
    months_form = MonthsForm(prefix="months")
    stage_form = StageForm(prefix="stage")
    if request.method == "GET":
        months_form.year.data = today().year
    if request.method == "POST" and request.form.get("what") == "months" and months_form.validate_on_submit():
        try:
            created = stages.add_months(months_form.year.data, int(months_form.first_month.data),
                                        int(months_form.last_month.data))
        except (DomainError, ValueError) as error:
            show_error(months_form, error if isinstance(error, DomainError) else DomainError(_("Choose a month.")))
        else:
            db.session.commit()
            flash(_("%(count)s monthly stages added.", count=len(created)), "success")
            return redirect(url_for("kpi.stage_list"))
    if request.method == "POST" and request.form.get("what") == "stage" and stage_form.validate_on_submit():
        try:
            stages.save_stage(stage_form.name.data, stage_form.starts_on.data, stage_form.ends_on.data,
                              stage_form.budget.kopecks or 0)
        except DomainError as error:
            show_error(stage_form, error)
        else:
            db.session.commit()
            flash(_("Stage added."), "success")
            return redirect(url_for("kpi.stage_list"))
    all_stages = stages.all_stages()
    drift: dict[int, list] = {}
    for item in stages.closed_stage_drift():
        drift.setdefault(item.stage.id, []).append(item)
    return render_template("kpi/stages.html", stages=all_stages, months_form=months_form,
                           stage_form=stage_form, action_form=EmptyForm(), recalc_form=RecalculateForm(),
                           log=stages.stage_log(), drift=drift, describe_changes=stages.describe_changes,
                           seen=stages.last_log_ids([s.id for s in all_stages if s.closed_at]))


@bp.route("/kpi/stages/<int:stage_id>", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def stage_edit(stage_id):
    stage = get_or_404(KpiStage, stage_id)
    form = StageForm(obj=stage)
    if request.method == "GET":
        form.budget.data = money_input(stage.budget_kopecks)
    if form.validate_on_submit():
        try:
            stages.save_stage(form.name.data, form.starts_on.data, form.ends_on.data,
                              form.budget.kopecks or 0, stage)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Stage saved."), "success")
            return redirect(url_for("kpi.stage_list"))
    closed = stage.closed_at is not None
    return render_template("kpi/stage.html", stage=stage, form=form, recalc_form=RecalculateForm(),
                           drift=stages.closed_stage_drift(stage) if closed else [],
                           seen=stages.last_log_id(stage) if closed else None)


@bp.post("/kpi/stages/<int:stage_id>/close")
@roles_required(*STAFF_ROLES)
def stage_close(stage_id):
    stage = get_or_404(KpiStage, stage_id)
    if EmptyForm().validate_on_submit():
        stages.close_stage(stage, current_user)
        db.session.commit()
        flash(_("Stage closed: its actuals are stored."), "success")
    return redirect(url_for("kpi.stage_list"))


@bp.post("/kpi/stages/<int:stage_id>/recalculate")
@roles_required(*STAFF_ROLES)
def stage_recalculate(stage_id):
    stage = get_or_404(KpiStage, stage_id)
    form = RecalculateForm()
    back = url_for("kpi.stage_edit", stage_id=stage.id) if request.form.get("back") == "stage" \
        else url_for("kpi.stage_list")
    if not form.validate_on_submit():
        flash(_("Give the reason for the recalculation."), "danger")
        return redirect(back)
    seen = request.form.get("seen", type=int)
    if seen is None:  # a form from an older page: what the manager saw is unknown
        flash(_("The page was out of date: look at the stage's figures again and recalculate from there."), "danger")
        return redirect(back)
    try:
        changes = stages.recalculate_stage(stage, form.reason.data, current_user, seen=seen)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(_("Stage recalculated: %(count)s figures changed.", count=len(changes)), "success")
    return redirect(back)


@bp.post("/kpi/stages/<int:stage_id>/delete")
@roles_required(*STAFF_ROLES)
def stage_delete(stage_id):
    stage = get_or_404(KpiStage, stage_id)
    if EmptyForm().validate_on_submit():
        try:
            stages.delete_stage(stage)
        except DomainError as error:
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("Stage deleted."), "success")
    return redirect(url_for("kpi.stage_list"))


@bp.get("/kpi/budget")
@roles_required(*STAFF_ROLES)
def budget_page():
    return render_template("kpi/budget.html", budget=budget.budget_view())


@bp.get("/kpi/budget/export.<any(csv, xlsx):fmt>")
@roles_required(*STAFF_ROLES)
def budget_export(fmt):
    return table_response(budget_table(budget.budget_view(), f"budget-{today():%Y%m%d}"), fmt)


@bp.route("/kpi/reports", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def subscriptions():
    chosen = reports.subscriptions_of(current_user)
    form = SubscriptionsForm(data={kind: kind in chosen for kind in reports.REPORT_KINDS})
    if form.validate_on_submit():
        reports.set_subscriptions(current_user, {k for k in reports.REPORT_KINDS if getattr(form, k).data})
        db.session.commit()
        flash(_("Report subscriptions saved."), "success")
        return redirect(url_for("kpi.subscriptions"))
    return render_template("kpi/subscriptions.html", form=form, sent=reports.recent_deliveries(current_user))
