"""The claims blueprint, shared by the participant's pages (views), the review queue (console_views) and, nested,
the UPD pages (claims.upd.*)."""

from flask import Blueprint

from portal.claims.upd import views as upd_views

bp = Blueprint("claims", __name__, template_folder="templates")
bp.register_blueprint(upd_views.bp)  # claims.upd.*: fill from a UPD, the company's articles
