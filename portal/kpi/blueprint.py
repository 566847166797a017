"""The KPI blueprint, shared by the pages of views.py and admin_views.py, and the scope every page is about."""

from flask import Blueprint, abort, request

from portal.core.errors import DomainError
from portal.kpi import plan
from portal.kpi.models import PROGRAM, SCOPES

bp = Blueprint("kpi", __name__, template_folder="templates")


def scope_args() -> tuple[str, str]:
    kind, key = request.args.get("scope", PROGRAM), request.args.get("key", "")
    if "whose" in request.args:  # the plan page's picker: "group:12", "region:Москва", "program:"
        kind, _colon, key = request.args["whose"].partition(":")
    if kind not in SCOPES:
        abort(404)
    try:
        return plan.check_scope(kind, key)
    except DomainError:
        abort(404)
