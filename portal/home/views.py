"""The landing page, the signed-in home page, language choice, the program's documents and health."""

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import text

from portal.auth import services as accounts
from portal.auth.models import LOCALES, PARTNER_ROLES
from portal.core.forms import EmptyForm
from portal.extensions import db
from portal.home.cache import SHARED, cached_cards
from portal.home.participant import participant_home
from portal.home.staff import staff_counts
from portal.kpi.dashboard import dashboard_data
from portal.shop.services import release_abandoned_checkouts

bp = Blueprint("home", __name__, template_folder="templates")

LOCALE_COOKIE = "locale"
ONE_YEAR = 365 * 24 * 3600


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("home.dashboard"))
    return render_template("home/index.html")


@bp.get("/home")
@login_required
def dashboard():
    if current_user.role in PARTNER_ROLES:
        released = release_abandoned_checkouts()  # held points of an abandoned card payment come back first
        user = current_user._get_current_object()

        def render_own_cards():
            return render_template("home/_own_cards.html", home=participant_home(user))

        def render_shared_cards():
            return render_template("home/_shared_cards.html")

        if released:
            own, shared = render_own_cards(), render_shared_cards()
        else:
            own, shared = cached_cards(user.id, render_own_cards), cached_cards(user.id, render_shared_cards, SHARED)
        return render_template("home/participant.html", own_cards=own, shared_cards=shared)
    counts = kpi = None
    if current_user.is_staff:
        counts = staff_counts()
        kpi = dashboard_data()
    return render_template("home/dashboard.html", counts=counts, kpi=kpi)


@bp.get("/favicon.ico")
def favicon():
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=7 * 24 * 3600)


@bp.get("/rules")
def rules():
    return render_template("home/rules.html")


@bp.get("/privacy")
def privacy():
    return render_template("home/privacy.html")


@bp.post("/language/<locale>")
def set_language(locale):
    """Remember the visitor's language in a cookie, and on the account when signed in."""
    target = request.referrer if request.referrer and request.referrer.startswith(request.host_url) else None
    response = redirect(target or url_for("home.index"))
    if locale not in LOCALES or not EmptyForm().validate_on_submit():
        return response
    session["locale"] = locale
    response.set_cookie(LOCALE_COOKIE, locale, max_age=ONE_YEAR, samesite="Lax", httponly=True)
    if current_user.is_authenticated:
        accounts.set_locale(current_user, locale)
        db.session.commit()
    return response


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means the database is not reachable
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
