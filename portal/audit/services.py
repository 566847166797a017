"""Writing and reading the audit log.

`record(...)` adds one entry to the current transaction (flush, no commit): the entry is kept exactly when
the action it describes is. Who and from where come from the request when there is one (the acting
person, the client address as ProxyFix sees it, the user agent); CLI commands and jobs record no address.
"""

from datetime import date, datetime, timedelta

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_login import current_user
from sqlalchemy import and_, false, or_, select

from portal.audit.models import AuditEntry
from portal.auth.models import User
from portal.core.time import local_day_start
from portal.extensions import db

# Action codes: stable strings in the database, translated labels on the page.
SIGN_IN = "auth.sign_in"
SIGN_IN_FAILED = "auth.sign_in_failed"
SIGN_OUT_EVERYWHERE = "auth.sign_out_everywhere"
PASSWORD_CHANGED = "auth.password_changed"
MFA_ENABLED = "auth.mfa_enabled"
MFA_DISABLED = "auth.mfa_disabled"
MFA_RECOVERY_USED = "auth.mfa_recovery_code_used"
MFA_CODES_RENEWED = "auth.mfa_recovery_codes_renewed"
CLAIM_APPROVED = "claim.approved"
CLAIM_REJECTED = "claim.rejected"
CLAIM_REVERSED = "claim.reversed"
POINTS_ADJUSTED = "points.adjusted"
ROLE_CHANGED = "user.role_changed"
AUDIENCE_CHANGED = "user.audience_changed"
ACCOUNT_ACTIVATED = "user.activated"
ACCOUNT_DEACTIVATED = "user.deactivated"
SETTINGS_CHANGED = "program.settings_changed"
CONTEST_FINALISED = "contest.finalised"
DATA_EXPORTED = "export.downloaded"
AUDIT_EXPORTED = "audit.exported"
CONTEST_CREATED = "contest.created"
CONTEST_EDITED = "contest.edited"
CONTEST_PUBLISHED = "contest.published"
CONTEST_UNPUBLISHED = "contest.unpublished"
CONTEST_CANCELLED = "contest.cancelled"
GROUP_SAVED = "group.saved"
GROUP_MEMBER_ADDED = "group.member_added"
GROUP_MEMBER_REMOVED = "group.member_removed"
PLAN_SET = "plan.set"
PLAN_DELETED = "plan.deleted"
PLANS_COPIED = "plan.copied"
PLAN_DEFAULT_SET = "plan.default_set"
KPI_PLAN_CHANGED = "kpi.plan_changed"
RULE_SAVED = "rule.saved"
API_KEY_CREATED = "api_key.created"
API_KEY_REVOKED = "api_key.revoked"

ACTION_LABELS = {
    SIGN_IN: _l("Signed in"),
    SIGN_IN_FAILED: _l("Failed sign-in"),
    SIGN_OUT_EVERYWHERE: _l("Signed out everywhere"),
    PASSWORD_CHANGED: _l("Password changed"),
    MFA_ENABLED: _l("Two-factor sign-in turned on"),
    MFA_DISABLED: _l("Two-factor sign-in turned off"),
    MFA_RECOVERY_USED: _l("Recovery code used"),
    MFA_CODES_RENEWED: _l("New recovery codes"),
    CLAIM_APPROVED: _l("Claim approved"),
    CLAIM_REJECTED: _l("Claim rejected"),
    CLAIM_REVERSED: _l("Claim reversed"),
    POINTS_ADJUSTED: _l("Points adjusted"),
    ROLE_CHANGED: _l("Role changed"),
    AUDIENCE_CHANGED: _l("Audience changed"),
    ACCOUNT_ACTIVATED: _l("Account reactivated"),
    ACCOUNT_DEACTIVATED: _l("Account deactivated"),
    SETTINGS_CHANGED: _l("Program settings changed"),
    CONTEST_FINALISED: _l("Contest results finalised"),
    DATA_EXPORTED: _l("Data exported"),
    AUDIT_EXPORTED: _l("Audit log exported"),
    CONTEST_CREATED: _l("Contest created"),
    CONTEST_EDITED: _l("Contest edited"),
    CONTEST_PUBLISHED: _l("Contest published"),
    CONTEST_UNPUBLISHED: _l("Contest returned to draft"),
    CONTEST_CANCELLED: _l("Contest cancelled"),
    GROUP_SAVED: _l("Group saved"),
    GROUP_MEMBER_ADDED: _l("Company added to a group"),
    GROUP_MEMBER_REMOVED: _l("Company removed from a group"),
    PLAN_SET: _l("Sales plan set"),
    PLAN_DELETED: _l("Sales plan deleted"),
    PLANS_COPIED: _l("Sales plans copied from the previous period"),
    PLAN_DEFAULT_SET: _l("Default sales plan set"),
    KPI_PLAN_CHANGED: _l("KPI plan changed"),
    RULE_SAVED: _l("Earning rule saved"),
    API_KEY_CREATED: _l("API key created"),
    API_KEY_REVOKED: _l("API key revoked"),
}

# What a contest's creation and edits record, as "field: before → after".
CONTEST_FIELDS = ("title", "metric", "starts_at", "ends_at", "freeze_at", "audience", "enrolment", "league_mode",
                  "winners_per_league", "min_value")

# Administrators' security events: program managers read every other entry (the program's actions).
SECURITY_ACTIONS = frozenset({
    SIGN_IN, SIGN_IN_FAILED, SIGN_OUT_EVERYWHERE, PASSWORD_CHANGED, MFA_ENABLED, MFA_DISABLED, MFA_RECOVERY_USED,
    MFA_CODES_RENEWED, ROLE_CHANGED, AUDIT_EXPORTED,
})


OBJECT_LABELS = {
    "audit": _l("audit log"), "claim": _l("claim"), "contest": _l("contest"), "export": _l("export"),
    "program_settings": _l("program settings"), "user": _l("person"), "company": _l("company"),
    "group": _l("group"), "plan": _l("sales plan"), "kpi_plan": _l("KPI plan"), "rule": _l("earning rule"),
    "api_key": _l("API key"),
}


def object_label(code: str) -> str:
    """The object type in the reader's language (the stored code stays the filter's value)."""
    label = OBJECT_LABELS.get(code)
    return str(label) if label is not None else code


def action_label(code: str) -> str:
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def _plain(value):
    """JSON-safe values for the changes column (dates as ISO text, everything odd as its text)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def record(action: str, *, actor=None, actor_id: int | None = None, object_type: str | None = None,
           object_id=None, changes: dict | None = None) -> AuditEntry:
    """Add an entry for `action` to the current transaction. `actor` defaults to the signed-in person."""
    if actor is None and actor_id is None and has_request_context() and current_user \
            and current_user.is_authenticated:
        actor = current_user
    if actor is not None:
        actor_id = actor.id
    email = actor.email if actor is not None else None
    if email is None and actor_id is not None:
        person = db.session.get(User, actor_id)
        email = person.email if person is not None else None
    entry = AuditEntry(
        actor_id=actor_id, actor_email=email, action=action[:64], object_type=object_type,
        object_id=None if object_id is None else str(object_id)[:64],
        changes=_plain(changes) if changes else None,
    )
    if has_request_context():
        entry.ip_address = (request.remote_addr or "")[:45] or None
        entry.user_agent = (request.user_agent.string or "").replace("\x00", "")[:255] or None
    db.session.add(entry)
    db.session.flush()
    return entry


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields whose value changed."""
    return {k: [_plain(before.get(k)), _plain(after.get(k))] for k in after if before.get(k) != after.get(k)}


def entries_query(*, actor: str = "", action: str = "", object_type: str = "", object_id: str = "",
                  date_from: date | None = None, date_to: date | None = None, program_only: bool = False,
                  objects: dict[str, list[str]] | None = None):
    """Newest first, filtered. `actor` matches an e-mail address or its part; `program_only` leaves out the
    administrators' security events (what a program manager reads). Days are the program's calendar days."""
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if program_only:
        query = query.where(AuditEntry.action.not_in(SECURITY_ACTIONS))
    if objects is not None:  # the objects a name search found, by kind ({"contest": ["4"]}); none found: nothing
        query = query.where(or_(false(), *(and_(AuditEntry.object_type == kind, AuditEntry.object_id.in_(ids))
                                           for kind, ids in objects.items())))
    if actor:
        query = query.where(AuditEntry.actor_email.contains(actor.strip().lower(), autoescape=True))
    if action:
        query = query.where(AuditEntry.action == action)
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id:
        query = query.where(AuditEntry.object_id == object_id)
    # Days at the calendar's far ends have no UTC start to compare with: before 1900 or after 9998 nothing happened.
    if (date_from and date_from >= date(9999, 1, 1)) or (date_to and date_to <= date(1900, 1, 1)):
        return query.where(false())
    if date_from and date_from > date(1900, 1, 1):
        query = query.where(AuditEntry.created_at >= local_day_start(date_from))
    if date_to and date_to < date(9999, 1, 1):
        query = query.where(AuditEntry.created_at < local_day_start(date_to + timedelta(days=1)))
    return query


# What a stored change's key means, in the reader's language; features add their own (the program settings).
CHANGE_LABELS = {
    "points": lazy_pgettext("audit change", "points"),
    "participant": lazy_pgettext("audit change", "participant"),
    "reason": lazy_pgettext("audit change", "reason"),
    "transaction": lazy_pgettext("audit change", "transaction"),
    "title": lazy_pgettext("audit change", "title"),
    "winners": lazy_pgettext("audit change", "winners (place, person, points)"),
    "email": lazy_pgettext("audit change", "email"),
    "role": lazy_pgettext("audit change", "role"),
    "audience": lazy_pgettext("audit change", "audience"),
    "effective": lazy_pgettext("audit change", "in effect from"),
    "left": lazy_pgettext("audit change", "codes left"),
    "by": lazy_pgettext("audit change", "by"),
    "format": lazy_pgettext("audit change", "format"),
    "rows": lazy_pgettext("audit change", "rows"),
    "path": lazy_pgettext("audit change", "page"),
    "filters": lazy_pgettext("audit change", "filters"),
    "name": lazy_pgettext("audit change", "name"),
    "metric": lazy_pgettext("audit change", "metric"),
    "period": lazy_pgettext("audit change", "period"),
    "source": lazy_pgettext("audit change", "source"),
    "target": lazy_pgettext("audit change", "target"),
    "target_kopecks": lazy_pgettext("audit change", "target"),
    "cells": lazy_pgettext("audit change", "cells changed"),
    "company": lazy_pgettext("audit change", "company"),
    "companies": lazy_pgettext("audit change", "companies"),
    "company_ids": lazy_pgettext("audit change", "companies"),
    "group_ids": lazy_pgettext("audit change", "groups"),
    "since": lazy_pgettext("audit change", "since"),
    "scopes": lazy_pgettext("audit change", "permissions"),
    "starts_at": lazy_pgettext("audit change", "starts"),
    "ends_at": lazy_pgettext("audit change", "ends"),
    "freeze_at": lazy_pgettext("audit change", "board freezes"),
    "enrolment": lazy_pgettext("audit change", "enrolment"),
    "league_mode": lazy_pgettext("audit change", "leagues"),
    "winners_per_league": lazy_pgettext("audit change", "winners per league"),
    "min_value": lazy_pgettext("audit change", "minimum to win"),
    "kind": lazy_pgettext("audit change", "kind"),
    "value": lazy_pgettext("audit change", "value"),
    "product_ids": lazy_pgettext("audit change", "products"),
    "categories": lazy_pgettext("audit change", "categories"),
    "valid_from": lazy_pgettext("audit change", "valid from"),
    "valid_to": lazy_pgettext("audit change", "valid to"),
    "priority": lazy_pgettext("audit change", "priority"),
    "stackable": lazy_pgettext("audit change", "adds to other rules"),
    "cap_per_claim": lazy_pgettext("audit change", "cap per claim"),
    "cap_per_period": lazy_pgettext("audit change", "cap per period"),
    "cap_period": lazy_pgettext("audit change", "cap period"),
    "active": lazy_pgettext("audit change", "active"),
    "name_en": lazy_pgettext("audit change", "name in English"),
}


def change_label(key: str) -> str:
    label = CHANGE_LABELS.get(key)
    return str(label) if label is not None else key


def changes_text(changes: dict | None) -> str:
    """Changes as one line for tables: `field: old → new; other: value`, the fields named in the reader's language."""
    if not changes:
        return ""
    parts = []
    for key, value in changes.items():
        if isinstance(value, list) and len(value) == 2:
            parts.append(f"{change_label(key)}: {_show(value[0])} → {_show(value[1])}")
        else:
            parts.append(f"{change_label(key)}: {_show(value)}")
    return "; ".join(parts)


def _show(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def snapshot(obj, names) -> dict:
    """The named attributes of a row, to compare before and after a change with `diff`."""
    return {name: getattr(obj, name) for name in names}
