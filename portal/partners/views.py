from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from portal.auth import services as accounts
from portal.auth.models import AUDIENCE_SHORT_LABELS, PARTNER_ADMIN, ROLE_LABELS, STAFF_ROLES, User
from portal.auth.reauth import fresh_auth_required
from portal.core.auth import roles_required
from portal.core.errors import DomainError
from portal.core.exports import DATE, INT, Column, csv_response, export_response, xlsx_response
from portal.core.forms import EmptyForm, show_error
from portal.core.mail import send_email
from portal.core.pagination import paginate
from portal.core.params import id_arg, text_arg
from portal.core.time import local_date
from portal.extensions import db
from portal.groups.services import all_groups, company_group_history, group_names_of_companies
from portal.partners import audiences, services
from portal.partners.forms import (
    AudienceForm,
    CompanyForm,
    InviteForm,
    MoveForm,
    RejectCompanyForm,
    RoleForm,
)
from portal.partners.models import COMPANY_STATUS_LABELS, Invitation, PartnerCompany

bp = Blueprint("partners", __name__, template_folder="templates")
EXPORT_LIMIT = 100_000


# --- program manager console: people -------------------------------------------------------------


def _people_query():
    return services.search_people(
        q=text_arg("q"), role=text_arg("role", 20), audience=text_arg("audience", 20),
        company_id=id_arg("company"), status=text_arg("status", 20), group_id=id_arg("group"),
    )


@bp.get("/console/people")
@roles_required(*STAFF_ROLES)
def people():
    company = db.session.get(PartnerCompany, id_arg("company")) if id_arg("company") else None
    return render_template(
        "partners/people.html", page=paginate(_people_query(), reverse=services.people_order(text_arg("q"))[1]),
        role_labels=ROLE_LABELS,
        audience_labels=AUDIENCE_SHORT_LABELS, company=company, groups=all_groups(),
    )


@bp.get("/console/people/export.<any(csv, xlsx):fmt>")
@roles_required(*STAFF_ROLES)
def people_export(fmt):
    """The people list as filtered on the page (group included), every page of it, with their KPI flags (the
    table is built by the KPI package, registered as "people")."""
    return export_response("people", {"q": text_arg("q"), "role": text_arg("role", 20),
                                      "audience": text_arg("audience", 20), "company_id": id_arg("company"),
                                      "status": text_arg("status", 20), "group_id": id_arg("group")}, fmt)


@bp.get("/console/people/<int:user_id>")
@roles_required(*STAFF_ROLES)
def person(user_id):
    user = db.get_or_404(User, user_id, options=[joinedload(User.company), selectinload(User.consents)])
    role_form = RoleForm(role=user.role, prefix="role")
    return render_template(
        "partners/person.html", person=user, role_form=role_form, move_form=MoveForm(prefix="move"),
        action_form=EmptyForm(), history=services.membership_history(user),
        audience_form=AudienceForm(audience=user.audience, prefix="audience"), audience_labels=AUDIENCE_SHORT_LABELS,
        audience_history=audiences.audience_history(user),
        may_change_audience=audiences.may_change_audience(current_user, user),
    )


def _change_audience(user: User, audience: str | None) -> None:
    try:
        audiences.change_audience(user, audience, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    else:
        db.session.commit()
        flash(_("%(name)s: audience “%(audience)s” from today.", name=user.full_name, audience=user.audience_label),
              "success")


@bp.post("/console/people/<int:user_id>/audience")
@roles_required(*STAFF_ROLES)
def change_audience(user_id):
    user = db.get_or_404(User, user_id)
    form = AudienceForm(prefix="audience")
    if form.validate_on_submit():
        _change_audience(user, form.audience.data)
    return redirect(url_for("partners.person", user_id=user.id))


@bp.post("/console/people/<int:user_id>/role")
@roles_required(*STAFF_ROLES)
@fresh_auth_required
def change_role(user_id):
    user = db.get_or_404(User, user_id)
    form = RoleForm(prefix="role")
    if form.validate_on_submit():
        try:
            accounts.set_role(user, form.role.data, current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("The role is changed to: %(role)s.", role=user.role_label), "success")
    return redirect(url_for("partners.person", user_id=user.id))


@bp.post("/console/people/<int:user_id>/active")
@roles_required(*STAFF_ROLES)
def toggle_active(user_id):
    user = db.get_or_404(User, user_id)
    if EmptyForm().validate_on_submit():
        try:
            accounts.set_active(user, not user.active, current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("The account is reactivated.") if user.active else _("The account is deactivated."), "success")
    return redirect(url_for("partners.person", user_id=user.id))


@bp.post("/console/people/<int:user_id>/move")
@roles_required(*STAFF_ROLES)
def move(user_id):
    user = db.get_or_404(User, user_id)
    form = MoveForm(prefix="move")
    if form.validate_on_submit():
        company = services.find_company_by_inn(form.inn.data)
        try:
            if company is None:
                raise DomainError(_("No company with this INN is in the program."))
            services.move_participant(user, company, current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("%(name)s now works for %(company)s.", name=user.full_name, company=company.name), "success")
    else:
        for error in form.inn.errors:
            flash(error, "danger")
    return redirect(url_for("partners.person", user_id=user.id))


# --- program manager console: companies ----------------------------------------------------------


def _companies_query():
    return services.search_companies(q=text_arg("q"), status=text_arg("status", 20),
                                     region=text_arg("region"), group_id=id_arg("group"))


@bp.get("/console/companies")
@roles_required(*STAFF_ROLES)
def companies():
    page = paginate(_companies_query())
    return render_template(
        "partners/companies.html", page=page, status_labels=COMPANY_STATUS_LABELS, regions=services.regions(),
        staff_counts=services.staff_counts([c.id for c in page.items]), groups=all_groups(),
    )


@bp.get("/console/companies/export.<any(csv, xlsx):fmt>")
@roles_required(*STAFF_ROLES)
def companies_export(fmt):
    """The company list as filtered on the page (group included), with each company's current groups."""
    companies = db.session.scalars(_companies_query().limit(EXPORT_LIMIT)).all()
    counts = services.staff_counts([c.id for c in companies])
    names = group_names_of_companies([c.id for c in companies])
    header = [_("Company"), _("INN"), _("Region"), _("Status"), Column(_("Staff"), INT), _("Groups"),
              Column(_("Added"), DATE)]
    rows = ([c.name, c.inn, c.region, c.status_label, counts.get(c.id, 0), ", ".join(names.get(c.id, [])),
             local_date(c.created_at)] for c in companies)
    if fmt == "xlsx":
        return xlsx_response("companies", header, rows, _("Companies"))
    return csv_response("companies", header, rows)


@bp.route("/console/companies/new", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def new_company():
    form = CompanyForm()
    if form.validate_on_submit():
        try:
            company = services.create_company(form.inn.data, form.name.data, form.region.data, current_user,
                                              region_en=form.region_en.data)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The company is added to the program."), "success")
            return redirect(url_for("partners.company", company_id=company.id))
    return render_template("partners/company_form.html", form=form)


@bp.get("/console/companies/<int:company_id>")
@roles_required(*STAFF_ROLES)
def company(company_id):
    company = db.get_or_404(PartnerCompany, company_id)
    return render_template(
        "partners/company.html", company=company, action_form=EmptyForm(), reject_form=RejectCompanyForm(),
        staff=sorted(company.staff, key=lambda u: u.full_name), group_history=company_group_history(company.id),
    )


@bp.post("/console/companies/<int:company_id>/approve")
@roles_required(*STAFF_ROLES)
def approve_company(company_id):
    company = db.get_or_404(PartnerCompany, company_id)
    if EmptyForm().validate_on_submit():
        services.approve_company(company, current_user)
        for person in company.staff:
            send_email(
                person.email, "partners/email/company_approved_subject.txt",
                "partners/email/company_approved_body.txt", locale=person.locale, category="decisions", user=person,
                company=company,
                link=url_for("home.dashboard", _external=True),
            )
        db.session.commit()
        flash(_("%(company)s is approved.", company=company.name), "success")
    return redirect(url_for("partners.company", company_id=company.id))


@bp.post("/console/companies/<int:company_id>/reject")
@roles_required(*STAFF_ROLES)
def reject_company(company_id):
    company = db.get_or_404(PartnerCompany, company_id)
    form = RejectCompanyForm()
    if form.validate_on_submit():
        try:
            services.reject_company(company, current_user, form.reason.data)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("%(company)s is rejected.", company=company.name), "info")
    else:
        flash(_("Say why the company is rejected: its staff will see it."), "danger")
    return redirect(url_for("partners.company", company_id=company.id))


# --- partner admin: my team ----------------------------------------------------------------------


@bp.route("/team", methods=["GET", "POST"])
@roles_required(PARTNER_ADMIN)
def team():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invitation = services.invite_colleague(current_user, form.email.data)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            link = url_for("auth.register", invite=services.invitation_token(invitation), _external=True)
            send_email(
                invitation.email, "partners/email/invitation_subject.txt", "partners/email/invitation_body.txt",
                locale=current_user.locale, invitation=invitation, inviter=current_user, link=link,
            )
            db.session.commit()
            flash(_("The invitation is sent to %(email)s.", email=invitation.email), "success")
            return redirect(url_for("partners.team"))
    company = current_user.company
    return render_template(
        "partners/team.html", form=form, company=company,
        page=paginate(services.team_query(company.id, text_arg("q"))),
        invitations=services.open_invitations(company.id), action_form=EmptyForm(),
        audience_labels=AUDIENCE_SHORT_LABELS,
    )


@bp.post("/team/people/<int:user_id>/audience")
@roles_required(PARTNER_ADMIN)
def change_team_audience(user_id):
    """The partner admin decides a colleague's audience (the service refuses anyone outside their company)."""
    user = db.get_or_404(User, user_id)
    form = AudienceForm()
    if form.validate_on_submit():
        _change_audience(user, form.audience.data)
    return redirect(url_for("partners.team"))


@bp.post("/team/invitations/<int:invitation_id>/revoke")
@roles_required(PARTNER_ADMIN)
def revoke_invitation(invitation_id):
    invitation = db.get_or_404(Invitation, invitation_id)
    if invitation.company_id != current_user.company_id:
        abort(404)  # another company's invitation does not exist for this user
    if EmptyForm().validate_on_submit():
        services.revoke_invitation(invitation, current_user)
        db.session.commit()
        flash(_("The invitation is revoked."), "info")
    return redirect(url_for("partners.team"))
