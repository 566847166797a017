"""Managers' pages for partner groups, and the JSON searches behind the searchable pickers."""

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.models import STAFF_ROLES
from portal.core import imports
from portal.core.auth import roles_required
from portal.core.errors import DomainError
from portal.core.forms import EmptyForm, show_error
from portal.core.pagination import paginate
from portal.core.params import get_or_404, text_arg
from portal.core.time import today
from portal.extensions import db
from portal.groups import services
from portal.groups.forms import AddCompanyForm, AddRegionForm, ConfirmImportForm, GroupForm, ImportMembersForm
from portal.partners.models import PartnerCompany, PartnerGroup
from portal.partners.services import regions
from portal.products.services import read_rows, search_products

bp = Blueprint("groups", __name__, template_folder="templates")


@bp.get("/console/groups")
@roles_required(*STAFF_ROLES)
def index():
    page = paginate(services.search_groups(text_arg("q")))
    return render_template("groups/index.html", page=page,
                           counts=services.member_counts([g.id for g in page.items]))


@bp.route("/console/groups/new", methods=["GET", "POST"])
@bp.route("/console/groups/<int:group_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def edit(group_id=None):
    group = get_or_404(PartnerGroup, group_id) if group_id else None
    form = GroupForm(obj=group)
    if form.validate_on_submit():
        try:
            group = services.save_group(form.name.data, form.description.data, current_user, group)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The group is saved."), "success")
            return redirect(url_for("groups.detail", group_id=group.id))
    return render_template("groups/form.html", form=form, group=group)


@bp.get("/console/groups/<int:group_id>")
@roles_required(*STAFF_ROLES)
def detail(group_id):
    group = get_or_404(PartnerGroup, group_id)
    showing_history = request.args.get("view") == "history"
    query = services.membership_history(group.id) if showing_history else services.current_members(
        group.id, text_arg("q"))
    region_form = AddRegionForm()
    region_form.region.choices = [(r, r) for r in regions() if r]
    return render_template(
        "groups/detail.html", group=group, page=paginate(query), showing_history=showing_history,
        add_form=AddCompanyForm(), region_form=region_form, action_form=EmptyForm(),
        total=services.member_counts([group.id]).get(group.id, 0),
        contests=services.rescored_by_change(group.id), today_iso=today().isoformat(),
    )


@bp.post("/console/groups/<int:group_id>/members")
@roles_required(*STAFF_ROLES)
def add_member(group_id):
    group = get_or_404(PartnerGroup, group_id)
    form = AddCompanyForm()
    if not form.validate_on_submit():
        for error in [*form.company.errors, *form.since.errors]:
            flash(error, "danger")
        return redirect(url_for("groups.detail", group_id=group.id))
    try:
        company = services.resolve_company(form.company.data)
        services.add_company(group, company, current_user, since=form.since.data)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    else:
        db.session.commit()
        flash(_("%(company)s is added to the group.", company=company.name), "success")
    return redirect(url_for("groups.detail", group_id=group.id))


@bp.post("/console/groups/<int:group_id>/region")
@roles_required(*STAFF_ROLES)
def add_region(group_id):
    group = get_or_404(PartnerGroup, group_id)
    form = AddRegionForm()
    if form.validate_on_submit():
        try:
            added = services.add_region(group, form.region.data[:120], current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("Companies added from %(region)s: %(n)s (those already in the group are skipped).",
                    region=form.region.data, n=added), "success")
    else:
        flash(_("Choose a region."), "danger")
    return redirect(url_for("groups.detail", group_id=group.id))


@bp.post("/console/groups/<int:group_id>/members/<int:company_id>/remove")
@roles_required(*STAFF_ROLES)
def remove_member(group_id, company_id):
    group = get_or_404(PartnerGroup, group_id)
    company = get_or_404(PartnerCompany, company_id)
    if EmptyForm().validate_on_submit():
        try:
            services.remove_company(group, company, current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("%(company)s is removed from the group; its history stays.", company=company.name), "info")
    return redirect(url_for("groups.detail", group_id=group.id))


@bp.route("/console/groups/<int:group_id>/import", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def import_members(group_id):
    """Upload: every row checked and shown with what it changes; nothing is written before confirmation."""
    group = get_or_404(PartnerGroup, group_id)
    form = ImportMembersForm()
    if form.validate_on_submit():
        upload = form.file.data
        content = upload.read()
        try:
            rows = services.check_member_import(group, read_rows(upload.filename or "", content))
        except DomainError as exc:
            show_error(form, exc)
            return render_template("groups/import.html", group=group, form=form, rows=None)
        ok = bool(rows) and all(row.valid for row in rows)
        confirm = ConfirmImportForm(token=imports.stash_upload(upload.filename or "", content, current_user.id)) \
            if ok else None
        return render_template("groups/import.html", group=group, form=form, rows=rows, ok=ok,
                               to_add=sum(1 for row in rows if row.valid and not row.already),
                               confirm_form=confirm, contests=services.rescored_by_change(group.id))
    return render_template("groups/import.html", group=group, form=form, rows=None)


@bp.post("/console/groups/<int:group_id>/import/confirm")
@roles_required(*STAFF_ROLES)
def confirm_import(group_id):
    """Confirm: the previewed file is read again and written whole, or not at all."""
    group = get_or_404(PartnerGroup, group_id)
    form = ConfirmImportForm()
    stashed = imports.stashed_upload(form.token.data or "", current_user.id) if form.validate_on_submit() else None
    if stashed is None:
        flash(_("The uploaded file has expired: upload it again."), "warning")
        return redirect(url_for("groups.import_members", group_id=group.id))
    try:
        added = services.apply_member_import(group, services.check_member_import(group, read_rows(*stashed)),
                                             current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(_("Nothing was imported: %(reason)s", reason=exc.message), "danger")
        return redirect(url_for("groups.import_members", group_id=group.id))
    db.session.commit()
    imports.drop_stash(form.token.data)
    flash(_("Companies added: %(added)s.", added=added), "success")
    return redirect(url_for("groups.detail", group_id=group.id))


@bp.get("/console/groups/<int:group_id>/import/template.<fmt>")
@roles_required(*STAFF_ROLES)
def import_template(group_id, fmt):
    """The group's INNs in the import's layout: a template that also re-imports unchanged."""
    group = get_or_404(PartnerGroup, group_id)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    header, rows = services.members_table(group)
    return imports.table_response(fmt, f"group-{group.id}", header, rows, _("Companies"))


# --- searches for the pickers ----------------------------------------------------------------------


@bp.get("/console/search/companies")
@roles_required(*STAFF_ROLES)
def search_companies():
    """Companies as you type: the code is the INN."""
    return jsonify([{"code": c.inn, "label": f"{c.name} · {c.inn} · {c.region}"}
                    for c in services.find_companies(text_arg("q"))])


@bp.get("/console/search/products")
@roles_required(*STAFF_ROLES)
def search_products_json():
    """Products as you type, inactive ones too (a rule may name them): the code is the SKU."""
    products = db.session.scalars(search_products(text_arg("q")).limit(20))
    return jsonify([{"code": p.sku, "label": f"{p.sku} — {p.name}"} for p in products])
