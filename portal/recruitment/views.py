"""Managers' pages of recruitment campaigns (upload, preview, confirm; the funnel; the stuck list and its export),
and the one-click unsubscribe of recruitment mail, which needs no account."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.models import STAFF_ROLES
from portal.core import imports
from portal.core.auth import roles_required
from portal.core.errors import DomainError
from portal.core.exports import table_response
from portal.core.forms import EmptyForm, show_error
from portal.core.pagination import paginate
from portal.core.params import get_or_404, id_arg, text_arg
from portal.extensions import csrf, db

from . import importer, links, services
from .exports import stuck_table
from .forms import CampaignUploadForm, ConfirmCampaignForm
from .models import STEPS, RecruitmentCampaign

bp = Blueprint("recruitment", __name__, template_folder="templates")
PREVIEW_ROWS = 500  # rows shown in a preview: the problems first


@bp.app_context_processor
def _home_card():
    """The managers' home page shows the running campaigns' funnel (read only when the card is shown)."""
    return {"recruitment_totals": services.running_totals}


@bp.get("/console/recruitment")
@roles_required(*STAFF_ROLES)
def index():
    campaigns = services.all_campaigns()
    return render_template("recruitment/index.html", campaigns=campaigns,
                           counts=services.campaign_counts([c.id for c in campaigns]), steps=STEPS,
                           labels=services.STEP_LABELS)


@bp.route("/console/recruitment/new", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def new():
    """Upload: every row checked and reported; nothing is written before confirmation."""
    form = CampaignUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        content = upload.read()
        try:
            preview = importer.check_invitee_rows(importer.read_invitee_file(upload.filename or "", content))
        except DomainError as exc:
            show_error(form, exc)
            return render_template("recruitment/new.html", form=form, preview=None)
        confirm = ConfirmCampaignForm(token=imports.stash_upload(upload.filename or "", content, current_user.id),
                                      name=form.name.data) if preview.ok else None
        shown = (preview.errors + preview.skipped + preview.to_invite)[:PREVIEW_ROWS]
        return render_template("recruitment/new.html", form=form, preview=preview, shown=shown,
                               confirm_form=confirm)
    return render_template("recruitment/new.html", form=form, preview=None)


@bp.post("/console/recruitment/confirm")
@roles_required(*STAFF_ROLES)
def confirm():
    """Confirm: the previewed file is read again and the campaign is created with all its rows, or not at all."""
    form = ConfirmCampaignForm()
    stashed = imports.stashed_upload(form.token.data or "", current_user.id) if form.validate_on_submit() else None
    if stashed is None:
        flash(_("The uploaded file has expired: upload it again."), "warning")
        return redirect(url_for("recruitment.new"))
    try:
        campaign = services.create_campaign(form.name.data or "", importer.check_invitee_rows(
            importer.read_invitee_file(*stashed)), current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(_("Nothing was imported: %(reason)s", reason=exc.message), "danger")
        return redirect(url_for("recruitment.new"))
    db.session.commit()
    imports.drop_stash(form.token.data)
    flash(_("The campaign is created: the invitations go out at the configured rate."), "success")
    return redirect(url_for("recruitment.campaign", campaign_id=campaign.id))


@bp.get("/console/recruitment/template.<fmt>")
@roles_required(*STAFF_ROLES)
def template(fmt):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    # Headings only: an example row would be a real company someone could invite by uploading the template as it is.
    header = importer.TEMPLATE_HEADER_RU if str(get_locale()) == "ru" else importer.TEMPLATE_HEADER
    return imports.table_response(fmt, "recruitment", header, [], _("Companies"))


def _filters():
    step = request.args.get("step", "")
    return id_arg("group"), text_arg("region", 120), step if step in STEPS else ""


@bp.get("/console/recruitment/<int:campaign_id>")
@roles_required(*STAFF_ROLES)
def campaign(campaign_id):
    campaign = get_or_404(RecruitmentCampaign, campaign_id)
    group_id, region, step = _filters()
    companies, steps = services.funnel(campaign.id, group_id, region)
    page = paginate(services.stuck_query(campaign.id, step, group_id, region)) if step else None
    return render_template("recruitment/campaign.html", campaign=campaign, companies=companies, steps=steps,
                           group_id=group_id, region=region, step=step, page=page, form=EmptyForm(),
                           groups=services.campaign_groups(campaign.id), regions=services.campaign_regions(campaign.id),
                           labels=services.STEP_LABELS)


@bp.get("/console/recruitment/<int:campaign_id>/stuck.<fmt>")
@roles_required(*STAFF_ROLES)
def stuck_export(campaign_id, fmt):
    campaign = get_or_404(RecruitmentCampaign, campaign_id)
    group_id, region, step = _filters()
    if fmt not in ("csv", "xlsx") or not step:
        abort(404)
    return table_response(stuck_table(campaign, step, group_id, region), fmt)


@bp.post("/console/recruitment/<int:campaign_id>/pause")
@roles_required(*STAFF_ROLES)
def pause(campaign_id):
    campaign = get_or_404(RecruitmentCampaign, campaign_id)
    if EmptyForm().validate_on_submit():
        paused = request.form.get("paused") == "1"
        services.set_paused(campaign, paused)
        db.session.commit()
        flash(_("The campaign is paused: nothing is sent until you resume it.") if paused
              else _("The campaign is running again."), "info")
    return redirect(url_for("recruitment.campaign", campaign_id=campaign.id))


@bp.route("/recruitment/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the mail client posts "List-Unsubscribe=One-Click" with no session and no form token
def unsubscribe(token):
    """GET shows a button (a link scanner may open the link); POST unsubscribes the address, once and for all."""
    try:
        invitee = links.read_unsubscribe(token) if request.method == "GET" else links.opt_out(token)
    except DomainError as exc:
        db.session.rollback()
        return render_template("recruitment/unsubscribe.html", error=str(exc.message)), 400
    db.session.commit()
    return render_template("recruitment/unsubscribe.html", email=invitee.email, done=request.method == "POST")
