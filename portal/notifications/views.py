"""The notifications page, the bell's count, the mail settings and the one-click unsubscribe link."""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.core.errors import DomainError
from portal.core.fields import db_int
from portal.core.forms import EmptyForm
from portal.core.pagination import paginate
from portal.core.person_cache import cached_page
from portal.extensions import csrf, db

from . import mailing, services
from .forms import MailPreferencesForm
from .kinds import text_of
from .mailing import CATEGORY_LABELS
from .models import CATEGORIES, Notification

bp = Blueprint("notifications", __name__, template_folder="templates", url_prefix="/notifications")


@bp.app_context_processor
def _bell():
    def unread_notifications() -> int:
        """Read once per request, only for a signed-in person: one primary-key read of the counter."""
        if "unread_notifications" not in g:
            g.unread_notifications = (services.unread_count(current_user.id)
                                      if current_user and current_user.is_authenticated else 0)
        return g.unread_notifications
    return {"unread_notifications": unread_notifications}


@bp.get("/")
@login_required
def index():
    """The list is rendered once per change of the person's rows (a new notification, one read) and query string,
    then served from the per-person cache (portal/core/person_cache.py), the forms' CSRF token put in each time."""
    form = EmptyForm()

    def render():
        page = paginate(services.notifications_of(current_user.id), reverse=(Notification.id.asc(),))
        return render_template("notifications/_list.html", page=page, text_of=text_of, form=form)

    listing = cached_page(current_user.id, render, "notifications", longest=100, csrf=True)
    return render_template("notifications/index.html", listing=listing, form=form)


@bp.post("/<int:notification_id>/read")
@login_required
def read(notification_id):
    notification = db.get_or_404(Notification, notification_id)
    if notification.user_id != current_user.id:
        return redirect(url_for("notifications.index"))
    if EmptyForm().validate_on_submit():
        services.mark_read(current_user.id, notification_id)
        db.session.commit()
        if request.form.get("open") and notification.link and notification.link.startswith("/"):
            return redirect(notification.link)
    return redirect(url_for("notifications.index", page=request.args.get("page", 1, type=db_int)))


@bp.post("/read-all")
@login_required
def read_all():
    if EmptyForm().validate_on_submit():
        count = services.mark_all_read(current_user.id)
        db.session.commit()
        flash(_("%(n)s notifications marked read.", n=count), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/mail", methods=["GET", "POST"])
@login_required
def mail_settings():
    preference = mailing.preferences_of(current_user.id)
    form = MailPreferencesForm()
    if request.method == "GET":
        for category in CATEGORIES:
            getattr(form, category).data = getattr(preference, category)
        form.digest.data = preference.digest
        form.marketing.data = mailing.active_consent(current_user.id) is not None
    if form.validate_on_submit():
        mailing.save_preferences(current_user, {c: getattr(form, c).data for c in CATEGORIES}, form.digest.data,
                                 form.marketing.data, ip_address=request.remote_addr)
        db.session.commit()
        flash(_("Your mail settings are saved."), "success")
        return redirect(url_for("notifications.mail_settings"))
    return render_template("notifications/mail.html", form=form, consent=mailing.active_consent(current_user.id))


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the mail client posts "List-Unsubscribe=One-Click" with no session and no form token
def unsubscribe(token):
    signed_in = current_user.id if current_user.is_authenticated else None
    if request.method == "GET":  # a link scanner may open it: only a button unsubscribes
        try:
            user, category, _nonce = mailing.read_unsubscribe_token(token, signed_in)
        except DomainError as exc:
            return render_template("notifications/unsubscribe.html", error=str(exc.message)), 400
        return render_template("notifications/unsubscribe.html", category_label=CATEGORY_LABELS[category])
    try:
        _user, category = mailing.unsubscribe(token, signed_in)
    except DomainError as exc:
        db.session.rollback()
        return render_template("notifications/unsubscribe.html", error=str(exc.message)), 400
    db.session.commit()
    return render_template("notifications/unsubscribe.html", done=True, category_label=CATEGORY_LABELS[category])
