import uuid
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from portal.audit import services as audit
from portal.auth.models import ADMIN, PARTNER_ROLES, STAFF_ROLES, User
from portal.auth.reauth import fresh_auth_required
from portal.core.auth import roles_required
from portal.core.errors import DomainError
from portal.core.exports import export_response
from portal.core.formatting import money_input
from portal.core.forms import show_error
from portal.core.freshness import watch_program_tables
from portal.core.pagination import paginate
from portal.core.person_cache import cached_page
from portal.core.time import utcnow
from portal.extensions import db
from portal.ledger import exports as _exports  # noqa: F401 - registers the statement export
from portal.ledger import services as ledger
from portal.ledger.descriptions import describe
from portal.ledger.forms import AdjustmentForm, SettingsForm, StatementFilterForm
from portal.ledger.models import TRANSACTION_KIND_LABELS
from portal.ledger.reports import program_totals, statement_query
from portal.program.models import ProgramSettings
from portal.program.services import get_settings

bp = Blueprint("ledger", __name__, template_folder="templates")

EXPIRY_WARNING = timedelta(days=90)
# The cached statement shows the points' value in roubles: a new point value must refresh it.
watch_program_tables(ProgramSettings)
SETTING_NAMES = ledger.SETTING_NAMES
# The audit log names a changed setting as the settings page does (the point value is stored in kopecks).
audit.CHANGE_LABELS.update({name: getattr(SettingsForm, name).args[0] for name in SETTING_NAMES
                            if hasattr(getattr(SettingsForm, name, None), "args")})
audit.CHANGE_LABELS["point_value_kopecks"] = _l("Value of one point")  # shown in roubles


def _statement_context(person: User) -> dict:
    filters = StatementFilterForm(request.args)
    valid = filters.validate() if request.args else True
    query = statement_query(
        person.id,
        date_from=filters.date_from.data if valid else None,
        date_to=filters.date_to.data if valid else None,
        kind=filters.kind.data if valid and filters.kind.data in TRANSACTION_KIND_LABELS else "",
    )
    return {
        "person": person,
        "filters": filters,
        "page": paginate(query),
        "balances": ledger.balances_of(person.id),
        "expiring": ledger.expiring_lots(person.id, before=utcnow() + EXPIRY_WARNING),
        "describe": describe,
        "kind_labels": TRANSACTION_KIND_LABELS,
        "point_value": get_settings().point_value_kopecks,
    }


def _export(person: User, fmt: str):
    filters = StatementFilterForm(request.args)
    valid = filters.validate()
    params = {"user_id": person.id, "kind": filters.kind.data if valid and filters.kind.data else "",
              "date_from": filters.date_from.data.isoformat() if valid and filters.date_from.data else None,
              "date_to": filters.date_to.data.isoformat() if valid and filters.date_to.data else None}
    return export_response("ledger-statement", params, fmt)


# --- participant ---------------------------------------------------------------------------------


@bp.get("/points")
@roles_required(*PARTNER_ROLES)
def statement():
    """The participant's balances and statement, rendered once per change of their ledger (or of the program's
    settings), per language, day and query string: see portal/core/person_cache.py."""
    person = current_user._get_current_object()

    def render():
        return render_template("ledger/_my_statement.html", **_statement_context(person))

    return render_template("ledger/statement.html", statement=cached_page(person.id, render, "points"))


@bp.get("/points/export.<any(csv, xlsx):fmt>")
@roles_required(*PARTNER_ROLES)
def export(fmt):
    return _export(current_user, fmt)


# --- program manager -----------------------------------------------------------------------------


@bp.get("/console/people/<int:user_id>/points")
@roles_required(*STAFF_ROLES)
def person_statement(user_id):
    person = db.get_or_404(User, user_id)
    if person.role not in PARTNER_ROLES:
        abort(404)
    form = AdjustmentForm(request_id=uuid.uuid4().hex)
    return render_template("ledger/person_statement.html", form=form, **_statement_context(person))


@bp.get("/console/people/<int:user_id>/points/export.<any(csv, xlsx):fmt>")
@roles_required(*STAFF_ROLES)
def person_export(user_id, fmt):
    return _export(db.get_or_404(User, user_id), fmt)


@bp.post("/console/people/<int:user_id>/points/adjust")
@roles_required(*STAFF_ROLES)
@fresh_auth_required
def adjust(user_id):
    person = db.get_or_404(User, user_id)
    if person.role not in PARTNER_ROLES:
        abort(404)
    form = AdjustmentForm()
    if form.validate_on_submit():
        points = form.points.data if form.direction.data == "credit" else -form.points.data
        request_id = form.request_id.data or uuid.uuid4().hex
        try:
            ledger.adjust(person.id, points, reason=form.reason.data, actor_id=current_user.id,
                          key=f"adjustment:{person.id}:{request_id}")
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(ngettext("The adjustment is recorded: %(num)s point.", "The adjustment is recorded: %(num)s points.",
                           abs(points)) + " " + (_("Credited.") if points > 0 else _("Debited.")), "success")
            return redirect(url_for("ledger.person_statement", user_id=person.id))
    return render_template("ledger/person_statement.html", form=form, **_statement_context(person)), 400


@bp.get("/console/points")
@roles_required(*STAFF_ROLES)
def totals():
    return render_template(
        "ledger/totals.html", totals=program_totals(), point_value=get_settings().point_value_kopecks
    )


def _settings_form(current) -> SettingsForm:
    return SettingsForm(
        point_value=money_input(current.point_value_kopecks),
        points_expire_months=current.points_expire_months, claim_window_days=current.claim_window_days,
        first_sale_bonus=current.first_sale_bonus, birthday_bonus=current.birthday_bonus,
        copay_enabled=current.copay_enabled, copay_max_share_percent=current.copay_max_share_percent,
        payment_timeout_minutes=current.payment_timeout_minutes, tax_rate_percent=current.tax_rate_percent,
        tax_details_required=current.tax_details_required,
    )


@bp.route("/console/settings", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
@fresh_auth_required
def settings():
    if request.method != "POST":
        return render_template("ledger/settings.html", form=_settings_form(get_settings()),
                               can_edit=current_user.role == ADMIN)
    if current_user.role != ADMIN:
        abort(403)
    form = SettingsForm()
    if form.validate_on_submit():
        try:
            ledger.save_program_settings(
                current_user, point_value_kopecks=form.point_value.kopecks,
                points_expire_months=form.points_expire_months.data, claim_window_days=form.claim_window_days.data,
                first_sale_bonus=form.first_sale_bonus.data or 0, birthday_bonus=form.birthday_bonus.data or 0,
                copay_enabled=form.copay_enabled.data, copay_max_share_percent=form.copay_max_share_percent.data,
                payment_timeout_minutes=form.payment_timeout_minutes.data, tax_rate_percent=form.tax_rate_percent.data,
                tax_details_required=form.tax_details_required.data)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The program settings are saved."), "success")
            return redirect(url_for("ledger.settings"))
    return render_template("ledger/settings.html", form=form, can_edit=True)


@bp.app_template_global()
def points_of(user_id: int) -> ledger.Balances:
    return ledger.balances_of(user_id)


@bp.app_template_global()
def my_balances():
    """The signed-in participant's balances, for the menu and the dashboard."""
    if current_user.is_authenticated and current_user.role in PARTNER_ROLES:
        return ledger.balances_of(current_user.id)
    return None

