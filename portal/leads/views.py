from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal.auth.models import PARTNER_ADMIN, PARTNER_ROLES, STAFF_ROLES
from portal.core.auth import roles_required
from portal.core.errors import DomainError
from portal.core.exports import csv_response, xlsx_response
from portal.core.fields import parse_day
from portal.core.formatting import number
from portal.core.forms import show_error
from portal.core.freshness import watch_program_tables
from portal.core.pagination import paginate
from portal.core.person_cache import cached_page
from portal.core.uploads import send_download
from portal.extensions import db
from portal.partners.models import APPROVED, PartnerCompany
from portal.products.services import categories

from . import reports, services
from .attachments import MAX_FILES, attachment_file, store_attachment
from .forms import (
    BulkForm,
    ChannelForm,
    CloseForm,
    ExtensionRequestForm,
    LeadForm,
    RejectForm,
    RewardRuleForm,
    SettingsForm,
)
from .holders import conflict_notice
from .models import REJECTED, STATUS_LABELS, SUBMITTED, Lead, LeadAttachment, LeadChannel, LeadEvent, LeadRewardRule

bp = Blueprint("leads", __name__, template_folder="templates")

MAX_ID = 2**31 - 1
watch_program_tables(LeadChannel)  # the cached lists name each lead's channel


def _lead_or_404(lead_id: int, *options) -> Lead:
    if lead_id > MAX_ID:
        abort(404)
    lead = db.get_or_404(Lead, lead_id, options=list(options))
    if not services.can_view(current_user, lead):
        abort(404)  # another company's lead does not exist for this user
    return lead


def _as_id(value) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def _as_date(value) -> date | None:
    return parse_day(value)  # 2026-06-01 or 01.06.2026, as the page's date fields take it


# --- participant ---------------------------------------------------------------------------------


@bp.get("/leads")
@roles_required(*PARTNER_ROLES)
def index():
    """The person's own leads, rendered once per change of them (or of a channel) and query string, then served
    from the per-person cache (portal/core/person_cache.py)."""
    title = _("My leads")

    def render():
        query = services.my_leads(current_user, request.args.get("status", ""), request.args.get("q", ""))
        return render_template("leads/_listing.html", page=paginate(query), status_labels=STATUS_LABELS,
                               title=title, endpoint="leads.index")

    listing = cached_page(current_user.id, render, "leads")
    return render_template("leads/index.html", listing=listing, title=title)


@bp.get("/team/leads")
@roles_required(PARTNER_ADMIN)
def team():
    query = services.company_leads(current_user.company_id, request.args.get("status", ""),
                                   request.args.get("q", ""))
    title = _("Leads of my team")
    return render_template("leads/index.html", title=title, listing=Markup(render_template(
        "leads/_listing.html", page=paginate(query), status_labels=STATUS_LABELS, title=title,
        endpoint="leads.team", team=True)))


def _data(form: LeadForm) -> services.LeadData:
    return services.LeadData(
        customer_name=form.customer_name.data, customer_inn=form.customer_inn.data or "",
        customer_kpp=form.customer_kpp.data or "", region=form.region.data, contact_name=form.contact_name.data,
        contact_phone=form.contact_phone.data or "", contact_email=form.contact_email.data or "",
        need=form.need.data, category=form.category.data or None, estimated_kopecks=form.estimated_amount.kopecks,
        expected_close_date=form.expected_close_date.data, channel_id=_as_id(form.channel_id.data),
        comment=form.comment.data or "",
    )


def _lead_form_choices(form: LeadForm) -> None:
    form.channel_id.choices = [("", _("Choose…"))] + [(str(c.id), c.name) for c in services.channels()]
    form.category.choices = [("", _("Not chosen"))] + [(c, c) for c in categories()]


@bp.route("/leads/new", methods=["GET", "POST"])
@roles_required(*PARTNER_ROLES)
def new():
    form = LeadForm()
    _lead_form_choices(form)
    if form.validate_on_submit():
        files = [f for f in (form.attachments.data or []) if getattr(f, "filename", "")]
        try:
            if len(files) > MAX_FILES:
                raise DomainError(_("Attach at most %(n)s files.", n=MAX_FILES), field="attachments")
            stored = [store_attachment(f.filename, f.read()) for f in files]
            lead = services.register_lead(current_user, _data(form), stored)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            if lead.status == REJECTED:
                flash(conflict_notice(lead), "warning")
            else:
                flash(_("Lead #%(id)s is registered and sent for review.", id=lead.id), "success")
            return redirect(url_for("leads.detail", lead_id=lead.id))
    return render_template("leads/form.html", form=form)


@bp.get("/leads/<int:lead_id>")
@roles_required(*PARTNER_ROLES, *STAFF_ROLES)
def detail(lead_id):
    # What the page shows, loaded with the lead rather than by the template one relationship at a time.
    lead = _lead_or_404(lead_id, joinedload(Lead.user), joinedload(Lead.company), joinedload(Lead.channel),
                        selectinload(Lead.events).joinedload(LeadEvent.actor), selectinload(Lead.attachments),
                        selectinload(Lead.awards))
    staff = current_user.role in STAFF_ROLES
    settings = services.get_lead_settings()
    return render_template(
        "leads/detail.html", lead=lead, staff=staff, settings=settings,
        window=services.attribution_window(lead),
        similar=services.similar_leads(lead) if staff else [],
        customer_sales=services.existing_customer_sales(lead) if staff else [],
        reject_form=RejectForm(), close_form=CloseForm(), extension_form=ExtensionRequestForm(),
        qualified_reward=services.qualified_reward(lead) if staff and lead.status == SUBMITTED else None,
    )


@bp.post("/leads/<int:lead_id>/extension")
@roles_required(*PARTNER_ROLES)
def request_extension(lead_id):
    lead = _lead_or_404(lead_id)
    form = ExtensionRequestForm()
    try:
        form.validate()
        services.request_extension(lead, current_user, form.note.data or "")
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    else:
        db.session.commit()
        flash(_("The extension is requested."), "success")
    return redirect(url_for("leads.detail", lead_id=lead.id))


@bp.get("/leads/<int:lead_id>/files/<int:file_id>")
@roles_required(*PARTNER_ROLES, *STAFF_ROLES)
def attachment(lead_id, file_id):
    lead = _lead_or_404(lead_id)
    if file_id > MAX_ID:
        abort(404)
    item = db.session.get(LeadAttachment, file_id)
    if item is None or item.lead_id != lead.id:
        abort(404)
    path = attachment_file(item.path)
    if not path.exists():
        abort(404)
    return send_download(path, item.mimetype, item.filename)


# --- program manager -----------------------------------------------------------------------------


def _queue_query(args):
    return services.review_queue(
        status=args.get("status", SUBMITTED), channel_id=_as_id(args.get("channel")),
        company_id=_as_id(args.get("company")), date_from=_as_date(args.get("date_from")),
        date_to=_as_date(args.get("date_to")), extension=args.get("extension") == "1", q=args.get("q", ""),
        sort=args.get("sort", "oldest"),
    )


@bp.get("/console/leads")
@roles_required(*STAFF_ROLES)
def queue():
    companies = db.session.scalars(
        select(PartnerCompany).where(PartnerCompany.status == APPROVED).order_by(PartnerCompany.name)
    ).all()
    args = request.args.to_dict()
    args.setdefault("status", SUBMITTED)
    return render_template("leads/queue.html", page=paginate(_queue_query(args)), status_labels=STATUS_LABELS,
                           companies=companies, channels=services.channels(active_only=False), bulk_form=BulkForm(),
                           args=args)


@bp.post("/console/leads/bulk")
@roles_required(*STAFF_ROLES)
def bulk():
    form = BulkForm()
    ids = [int(i) for i in request.form.getlist("lead_ids") if i.isdigit() and len(i) < 10][:200]
    if not form.validate_on_submit() or not ids:
        flash(_("Tick the leads to decide on."), "warning")
        return redirect(url_for("leads.queue"))
    done, refused = 0, []
    for lead in db.session.scalars(select(Lead).where(Lead.id.in_(ids)).order_by(Lead.id)).all():
        try:
            if form.action.data == "qualify":
                services.qualify_lead(lead, current_user)
            else:
                services.reject_lead(lead, current_user, form.reason_text())
            db.session.commit()
            done += 1
        except DomainError as exc:
            db.session.rollback()
            refused.append(f"#{lead.id}: {exc.message}")
    if done:
        flash(ngettext("%(num)s lead decided.", "%(num)s leads decided.", done), "success")
    for message in refused:
        flash(message, "danger")
    return redirect(url_for("leads.queue"))


def _decide(lead_id, action, message):
    if lead_id > MAX_ID:
        abort(404)
    lead = db.get_or_404(Lead, lead_id)
    try:
        action(lead)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    else:
        db.session.commit()
        flash(message(lead), "success")
    return redirect(url_for("leads.detail", lead_id=lead_id))


@bp.post("/console/leads/<int:lead_id>/qualify")
@roles_required(*STAFF_ROLES)
def qualify(lead_id):
    return _decide(lead_id, lambda lead: services.qualify_lead(lead, current_user),
                   lambda lead: _("Lead #%(id)s is qualified: %(points)s points credited.", id=lead.id,
                                  points=number(lead.reward_points)))


@bp.post("/console/leads/<int:lead_id>/reject")
@roles_required(*STAFF_ROLES)
def reject(lead_id):
    form = RejectForm()
    if not form.validate_on_submit():
        flash(_("Choose the reason."), "danger")
        return redirect(url_for("leads.detail", lead_id=lead_id))
    return _decide(lead_id, lambda lead: services.reject_lead(lead, current_user, form.reason_text()),
                   lambda lead: _("Lead #%(id)s is rejected.", id=lead.id))


@bp.post("/console/leads/<int:lead_id>/extend")
@roles_required(*STAFF_ROLES)
def extend(lead_id):
    return _decide(lead_id, lambda lead: services.extend_protection(lead, current_user),
                   lambda lead: _("The protection of lead #%(id)s is extended.", id=lead.id))


@bp.post("/console/leads/<int:lead_id>/close")
@roles_required(*STAFF_ROLES)
def close(lead_id):
    form = CloseForm()
    if not form.validate_on_submit():
        flash(_("Choose the outcome."), "danger")
        return redirect(url_for("leads.detail", lead_id=lead_id))
    return _decide(lead_id, lambda lead: services.close_lead(lead, current_user, form.outcome.data == "won",
                                                             form.note.data or ""),
                   lambda lead: _("Lead #%(id)s: %(status)s.", id=lead.id, status=lead.status_label))


# --- dictionaries and rewards --------------------------------------------------------------------


@bp.route("/console/leads/channels", methods=["GET", "POST"])
@bp.route("/console/leads/channels/<int:channel_id>", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def channels(channel_id=None):
    channel = db.get_or_404(LeadChannel, channel_id) if channel_id and channel_id <= MAX_ID else None
    if channel_id and channel is None:
        abort(404)
    form = ChannelForm(obj=channel)
    if form.validate_on_submit():
        try:
            services.save_channel(form.name_ru.data, form.name_en.data, form.position.data, form.active.data,
                                  channel)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The channel is saved."), "success")
            return redirect(url_for("leads.channels"))
    return render_template("leads/channels.html", form=form, channel=channel,
                           channels=services.channels(active_only=False))


def _settings_form() -> SettingsForm:
    current = services.get_lead_settings()
    if request.method == "POST":
        return SettingsForm()
    cap = current.max_cost_per_lead_kopecks
    return SettingsForm(data={
        "protection_days": current.protection_days, "won_protection_days": current.won_protection_days,
        "extension_days": current.extension_days,
        "max_extensions": current.max_extensions, "attribution_days": current.attribution_days,
        "max_cost_per_lead": "" if cap is None else f"{cap / 100:.2f}".replace(".", ","),
        "reminder_days": ", ".join(str(d) for d in current.reminder_days or []),
    })


@bp.route("/console/leads/settings", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def settings():
    form = _settings_form()
    if form.validate_on_submit():
        raw_days = [part.strip() for part in (form.reminder_days.data or "").split(",") if part.strip()]
        try:
            if any(not d.isdigit() or len(d) > 4 for d in raw_days):
                raise DomainError(_("Comma-separated, for example 7, 1."), field="reminder_days")
            services.update_lead_settings(
                protection_days=form.protection_days.data, extension_days=form.extension_days.data,
                max_extensions=form.max_extensions.data or 0, attribution_days=form.attribution_days.data,
                max_cost_per_lead_kopecks=form.max_cost_per_lead.kopecks, reminder_days=[int(d) for d in raw_days],
                won_protection_days=form.won_protection_days.data,
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The lead settings are saved."), "success")
            return redirect(url_for("leads.settings"))
    rules = db.session.scalars(select(LeadRewardRule).order_by(LeadRewardRule.active.desc(), LeadRewardRule.kind,
                                                               LeadRewardRule.id)).all()
    return render_template("leads/settings.html", form=form, rules=rules,
                           max_points=services.max_points_per_lead())


@bp.route("/console/leads/rewards/new", methods=["GET", "POST"])
@bp.route("/console/leads/rewards/<int:rule_id>", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def reward(rule_id=None):
    rule = db.session.get(LeadRewardRule, rule_id) if rule_id and rule_id <= MAX_ID else None
    if rule_id and rule is None:
        abort(404)
    form = RewardRuleForm(obj=rule)
    form.channel_id.choices = [("", _("Any"))] + [(str(c.id), c.name) for c in services.channels(False)]
    form.category.choices = [("", _("Any"))] + [(c, c) for c in categories()]
    if request.method == "GET" and rule is not None:
        form.channel_id.data = str(rule.channel_id or "")
        form.category.data = rule.category or ""
    if form.validate_on_submit():
        try:
            value = form.value.data
            if value is None or not value.is_finite():
                raise DomainError(_("The value must be positive."), field="value")
            services.save_reward_rule(name=form.name.data, kind=form.kind.data, value=value,
                                      channel_id=_as_id(form.channel_id.data), category=form.category.data,
                                      active=form.active.data, rule=rule)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The reward rule is saved."), "success")
            return redirect(url_for("leads.settings"))
    return render_template("leads/reward.html", form=form, rule=rule)


# --- the source report ---------------------------------------------------------------------------


@bp.get("/console/leads/report")
@roles_required(*STAFF_ROLES)
def report():
    group = request.args.get("group", "channel")
    group = group if group in reports.GROUPS else "channel"
    date_from, date_to = _as_date(request.args.get("date_from")), _as_date(request.args.get("date_to"))
    result = reports.source_report(group=group, date_from=date_from, date_to=date_to)
    export = request.args.get("format")
    if export in ("csv", "xlsx"):
        header, rows = reports.export_rows(result)
        name = f"leads-{group}"
        if export == "csv":
            return csv_response(name, header, rows)
        return xlsx_response(name, header, rows, sheet_title=_("Lead sources"))
    return render_template("leads/report.html", report=result, group=group, groups=reports.GROUPS,
                           args=request.args.to_dict())
