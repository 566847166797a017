"""Re-authentication: sensitive changes need a password (or a code) entered within REAUTH_MAX_AGE.

Signing in, and confirming on the /reauth page, stamp the session. Views that change roles, program
settings or a person's points wear `fresh_auth_required`: a stale session is sent to confirm, then back.
"""

import time
from functools import wraps
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

SESSION_KEY = "auth_at"


def mark_fresh() -> None:
    session[SESSION_KEY] = int(time.time())


def is_fresh() -> bool:
    stamp = session.get(SESSION_KEY)
    if not isinstance(stamp, int):
        return False
    return time.time() - stamp <= current_app.config["REAUTH_MAX_AGE"].total_seconds()


def _back_to() -> str:
    """Where to return after confirming: the page itself for GET, else the local page the form was on."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc in ("", request.host) and referrer.path.startswith("/"):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return url_for("home.dashboard")


def fresh_auth_required(view):
    """Changes (any method but GET) need a recent password or code; reading the page does not."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if request.method != "GET" and current_user.is_authenticated and not is_fresh():
            flash(_("Confirm it is you: enter your password again, then repeat the change."), "warning")
            return redirect(url_for("auth.reauth", next=_back_to()))
        return view(*args, **kwargs)

    return wrapped
