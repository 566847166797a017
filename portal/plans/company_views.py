"""Company plans in the console: a partner company's own target, set by hand or deleted (imports go through the
plans import), and the card of a company's running plans for its pages."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.models import STAFF_ROLES
from portal.core.auth import roles_required
from portal.core.errors import DomainError
from portal.core.forms import EmptyForm, show_error
from portal.core.params import get_or_404, id_arg
from portal.extensions import db
from portal.partners.models import PartnerCompany
from portal.plans import services
from portal.plans.blueprint import bp, periods_with, requested_period
from portal.plans.forms import CompanyPlanForm
from portal.plans.models import CompanyPlan
from portal.plans.periods import parse_period, period_of


@bp.app_context_processor
def company_plans_helper():
    def company_plans_card(company_id):
        """A company's plans running today with their progress, for its pages (console, team, participant)."""
        return services.current_company_plans(company_id)

    return {"company_plans_card": company_plans_card}


@bp.route("/console/plans/company/set", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def set_company_plan():
    period = requested_period()
    form = CompanyPlanForm()
    form.set_periods(periods_with(period), period)
    if request.method == "GET" and id_arg("company"):
        company = db.session.get(PartnerCompany, id_arg("company"))
        if company is not None:
            form.inn.data = company.inn
    if form.validate_on_submit():
        chosen = parse_period(form.period.data)
        try:
            if chosen is None:
                raise DomainError(_("Choose the period."), field="period")
            company = services.company_for_plan(form.inn.data)
            target = services.parse_target(form.metric.data, form.target.data)
            services.set_company_plan(company, form.metric.data, chosen, target, current_user)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The plan of %(company)s for %(period)s is saved.", company=company.name, period=chosen.label),
                  "success")
            return redirect(url_for("plans.manage", period=chosen.key, view="companies", metric=form.metric.data))
    return render_template("plans/set_company.html", form=form, period=period)


@bp.post("/console/plans/company/<int:plan_id>/delete")
@roles_required(*STAFF_ROLES)
def delete_company_plan(plan_id):
    plan = get_or_404(CompanyPlan, plan_id)
    key = period_of(plan.period_kind, plan.period_start).key
    if EmptyForm().validate_on_submit():
        services.delete_company_plan(plan, current_user)
        db.session.commit()
        flash(_("The plan is deleted."), "info")
    return redirect(url_for("plans.manage", period=key, view="companies", metric=plan.metric))
