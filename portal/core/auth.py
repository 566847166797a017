"""The roles, and role checks for views."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

PARTICIPANT = "participant"
PARTNER_ADMIN = "partner_admin"
MANAGER = "manager"
ADMIN = "admin"
ROLES = (PARTICIPANT, PARTNER_ADMIN, MANAGER, ADMIN)
STAFF_ROLES = (MANAGER, ADMIN)  # the vendor's people, who run the program
PARTNER_ROLES = (PARTICIPANT, PARTNER_ADMIN)  # people inside partner companies, who earn points


def roles_required(*roles: str):
    """Allow the view only to signed-in users holding one of `roles`; others get a 403 page."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
