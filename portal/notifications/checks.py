"""`portal check`: the bell's unread counters against the notifications they count."""

from flask_babel import lazy_gettext as _l

from .services import counter_drift


def unread_counter_drift() -> list:
    return [_l("Person #%(user)s: the bell counts %(kept)s unread notifications, but %(actual)s are unread.",
               user=user_id, kept=kept, actual=actual) for user_id, kept, actual in counter_drift()]
