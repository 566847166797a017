"""Signing in, shared by the password pages (views.py) and the two-factor pages (mfa_views.py): the auth
blueprint, the way back after sign-in, starting a session, and the throttle of failed attempts."""

import time
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_babel import ngettext
from flask_login import login_user

from portal.audit import services as audit
from portal.auth import services, throttle
from portal.auth.models import User
from portal.auth.reauth import mark_fresh
from portal.extensions import db

PENDING = "mfa_pending"
PENDING_FOR_SECONDS = 300

bp = Blueprint("auth", __name__, template_folder="templates")


def _safe_next(target: str | None) -> str | None:
    """Only follow `next` within this site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _client_address() -> str:
    return request.remote_addr or "-"


def complete_login(user, remember: bool = False, next_url: str | None = None, fresh: bool = True):
    """Start a fresh session for `user` (after the password, and the code when two-factor sign-in is on).

    `fresh`: the password (or a code) was just entered; a sign-in by a mail link is not, so the pages that ask
    for the password again still ask."""
    audit.record(audit.SIGN_IN, actor=user, object_type="user", object_id=user.id)
    db.session.commit()
    throttle.forget_failures(user.email, _client_address())
    locale_choice = session.get("locale")
    session.clear()  # a fresh session at every login: nothing from before carries over
    login_user(user, remember=remember)
    if fresh:
        mark_fresh()
    if locale_choice and locale_choice != user.locale:
        services.set_locale(user, locale_choice)
        db.session.commit()
    return redirect(_safe_next(next_url) or url_for("home.dashboard"))


def record_failed_sign_in(email: str, reason: str, user=None, throttle_key: str | None = None) -> None:
    audit.record(audit.SIGN_IN_FAILED, actor=user, actor_id=user.id if user else None, object_type="user",
                 object_id=user.id if user else None, changes={"email": email[:254], "reason": reason})
    db.session.commit()
    # Counted after the commit: the counters may live in the same database (database://), written on a
    # connection of their own, which on SQLite must not wait for this request's open write.
    throttle.count_failure(throttle_key or email, _client_address())


def throttled(account: str) -> dict | None:
    """When this address must wait before trying `account` again: say so, and return the 429's headers."""
    wait = throttle.wait_seconds(account, _client_address())
    if not wait:
        return None
    minutes = max(1, -(-wait // 60))
    flash(ngettext("Too many failed attempts from your address: try again in %(num)s minute.",
                   "Too many failed attempts from your address: try again in %(num)s minutes.", minutes), "danger")
    return {"Retry-After": str(wait)}


def start_second_step(user: User, *, remember: bool, next_url: str | None) -> None:
    """The password was right: remember who is half-way in (this browser only, for five minutes)."""
    locale_choice = session.get("locale")
    session.clear()
    if locale_choice:
        session["locale"] = locale_choice
    session[PENDING] = {"id": user.id, "token": user.session_token, "remember": bool(remember),
                        "next": _safe_next(next_url), "at": int(time.time())}
