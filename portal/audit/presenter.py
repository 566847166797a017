"""The audit log as people read it: each entry's target by name with a link (a person, a contest, a claim, a
company...), each change as "field: before → after" with typed values in the reader's language (money in
roubles, people by name, times in the program's time zone), the entry's own time in the program's time zone.

Names are read by table name through SQLAlchemy's metadata, one query per kind of object on a page: the audit
package sits below the features and imports none of them."""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import url_for
from flask_babel import format_date, format_datetime, format_decimal
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import select
from werkzeug.routing import BuildError

from portal.audit.services import action_label, change_label, object_label
from portal.auth.models import AUDIENCE_SHORT_LABELS, ROLE_LABELS
from portal.core.exports import local_moment
from portal.core.formatting import rub
from portal.core.sql import lower_text
from portal.extensions import db


@dataclass(frozen=True)
class ObjectKind:
    table: str
    name_column: str
    endpoint: str | None
    id_arg: str | None = None
    prefix: str = ""  # shown before the name: "№" for claims


# What an object's id names, and where its page is. Features' objects are named here by table, not by import.
OBJECTS = {
    "user": ObjectKind("users", "full_name", "partners.person", "user_id"),
    "contest": ObjectKind("contests", "title", "contests.review", "contest_id"),
    "claim": ObjectKind("claims", "invoice_number", "claims.detail", "claim_id"),
    "company": ObjectKind("partner_companies", "name", "partners.company", "company_id"),
    "group": ObjectKind("partner_groups", "name", "groups.detail", "group_id"),
    "rule": ObjectKind("earning_rules", "name", "rules.detail", "rule_id"),
    "api_key": ObjectKind("api_keys", "name", "integrations.keys"),
}

# What a change's value is: a reference to an object (by kind), money in kopecks, a moment, a label.
MONEY, MOMENT, DAY, ROLE, AUDIENCE, WINNERS = "money", "moment", "day", "role", "audience", "winners"
LISTS = {"companies", "company_ids", "group_ids", "product_ids", "categories"}  # values that are lists
CHANGE_KINDS = {
    "participant": "user", "user": "user", "by": "user", "company": "company", "group": "group",
    "contest": "contest", "claim": "claim", "companies": "company", "company_ids": "company", "group_ids": "group",
    "point_value_kopecks": MONEY, "amount_kopecks": MONEY, "budget_kopecks": MONEY, "total_kopecks": MONEY,
    "target_kopecks": MONEY,
    "freeze_at": MOMENT, "starts_at": MOMENT, "ends_at": MOMENT, "since": MOMENT, "effective": DAY,
    "valid_from": DAY, "valid_to": DAY,
    "role": ROLE, "audience": AUDIENCE, "winners": WINNERS,
}


@dataclass
class Change:
    label: str
    before: Markup | None  # None: a value, not a change
    after: Markup
    text: str  # the same as plain text (exports)


@dataclass
class ShownEntry:
    entry: object
    when: datetime  # the program's time zone
    when_utc: str
    action: str
    object_type: str
    target: Markup | None
    target_text: str
    actor: Markup | None
    changes: list[Change] = field(default_factory=list)

    @property
    def changes_text(self) -> str:
        return "; ".join(change.text for change in self.changes)


class _Names:
    """Names for the ids an entry list mentions, fetched once per kind of object."""

    def __init__(self):
        self.wanted: dict[str, set[int]] = {}
        self.found: dict[str, dict[int, str]] = {}

    def want(self, kind: str, value) -> None:
        if kind in OBJECTS and _as_id(value) is not None:
            self.wanted.setdefault(kind, set()).add(_as_id(value))

    def load(self) -> None:
        for kind, ids in self.wanted.items():
            spec = OBJECTS[kind]
            table = db.metadata.tables.get(spec.table)
            if table is None:
                continue
            self.found[kind] = dict(db.session.execute(
                select(table.c.id, table.c[spec.name_column]).where(table.c.id.in_(sorted(ids)))).all())

    def link(self, kind: str, value) -> tuple[Markup, str]:
        """(HTML, text) for an object: its name linked to its page, or "kind #id" when it is gone."""
        spec, object_id = OBJECTS.get(kind), _as_id(value)
        name = self.found.get(kind, {}).get(object_id) if spec else None
        if name is None:
            text = f"{object_label(kind)} #{value}"
            return escape(text), text
        text = f"{spec.prefix}{name}"
        if kind == "claim":
            text = _("No. %(id)s (invoice %(number)s)", id=object_id, number=name)
        url = _url(spec, object_id)
        return (Markup('<a href="{}">{}</a>').format(url, text) if url else escape(text)), text


def _as_id(value) -> int | None:
    try:
        return int(value) if value is not None and str(value).isdigit() else None
    except (TypeError, ValueError):
        return None


def _url(spec: ObjectKind, object_id: int) -> str | None:
    try:
        return url_for(spec.endpoint, **({spec.id_arg: object_id} if spec.id_arg else {})) if spec.endpoint else None
    except (BuildError, RuntimeError):  # no page for it, or no request (the worker writing a download)
        return None


def _moment(value) -> str:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return format_datetime(moment, "short")  # a naive moment is UTC: Babel shows it in the program's zone


def _value(names: _Names, key: str, value) -> tuple[Markup, str]:
    """A stored value shown by what it is."""
    kind = CHANGE_KINDS.get(key)
    if value is None or value == "":
        return escape("—"), "—"
    if kind in OBJECTS and isinstance(value, list):
        links = [names.link(kind, v) for v in value]
        return Markup(", ").join(h for h, _t in links) or escape("—"), ", ".join(t for _h, t in links) or "—"
    if kind in OBJECTS:
        return names.link(kind, value)
    if kind == WINNERS and isinstance(value, list):
        parts = [_winner(names, w) for w in value]
        return Markup("; ").join(p[0] for p in parts) or escape("—"), "; ".join(p[1] for p in parts) or "—"
    text = _text(kind, value)
    return escape(text), text


def _winner(names: _Names, winner) -> tuple[Markup, str]:
    place, user_id, points = (list(winner) + [None, None, None])[:3]
    html, text = names.link("user", user_id)
    shown = _("%(place)s. %(name)s, %(points)s points", place=place, name="\x00", points=format_decimal(points or 0))
    before, _sep, after = shown.partition("\x00")
    return escape(before) + html + escape(after), before + text + after


def _text(kind: str | None, value) -> str:
    if kind == MONEY and isinstance(value, int | float):
        return rub(int(value))
    if kind == MOMENT:
        return _moment(value)
    if kind == DAY:
        try:
            return format_date(datetime.fromisoformat(str(value)).date())
        except ValueError:
            return str(value)
    if kind == ROLE:
        return str(ROLE_LABELS.get(value, value))
    if kind == AUDIENCE:
        return str(AUDIENCE_SHORT_LABELS.get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return format_decimal(value)
    if isinstance(value, dict):
        return ", ".join(f"{change_label(k)}: {_text(None, v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_text(kind, v) for v in value)
    return str(value)


def _flat(value):
    if isinstance(value, list):
        for v in value:
            yield from _flat(v)
    else:
        yield value


def _winners_in(value):
    """Every [place, person, points] in a stored winners list, or in a [before, after] pair of them."""
    if isinstance(value, list) and len(value) == 3 and not any(isinstance(v, list) for v in value):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _winners_in(v)


def _is_pair(key: str, value) -> bool:
    """A stored [before, after]: a winners list is a pair only when it holds two lists of winners."""
    if not isinstance(value, list) or len(value) != 2:
        return False
    if CHANGE_KINDS.get(key) == WINNERS:
        return all(v is None or (isinstance(v, list) and all(isinstance(w, list) for w in v)) for v in value)
    if key in LISTS:  # a list of two companies is not a change from one to the other
        return all(v is None or isinstance(v, list) for v in value)
    return True


def _changes(names: _Names, changes: dict | None) -> list[Change]:
    shown = []
    for key, value in (changes or {}).items():
        label = change_label(key)
        if _is_pair(key, value):
            (before, before_text), (after, after_text) = _value(names, key, value[0]), _value(names, key, value[1])
            shown.append(Change(label, before, after, f"{label}: {before_text} → {after_text}"))
        else:
            after, after_text = _value(names, key, value)
            shown.append(Change(label, None, after, f"{label}: {after_text}"))
    return shown


def objects_named(text: str, limit: int = 500) -> dict[str, list[str]]:
    """The objects whose name contains `text` (ignoring case), by kind: the log's "object name" filter."""
    text = (text or "").strip().lower()
    found = {}
    for kind, spec in OBJECTS.items():
        table = db.metadata.tables.get(spec.table)
        if table is None or not text:
            continue
        ids = db.session.scalars(select(table.c.id).where(
            lower_text(table.c[spec.name_column]).contains(text, autoescape=True)).limit(limit)).all()
        if ids:
            found[kind] = [str(i) for i in ids]
    return found


def present(entries) -> list[ShownEntry]:
    """The entries as the log's page and its downloads show them."""
    entries = list(entries)
    names = _Names()
    for e in entries:
        if e.actor_id:
            names.want("user", e.actor_id)
        if e.object_type:
            names.want(e.object_type, e.object_id)
        for key, value in (e.changes or {}).items():
            kind = CHANGE_KINDS.get(key)
            if kind == WINNERS:
                for winner in _winners_in(value):
                    names.want("user", winner[1])
            elif kind in OBJECTS:
                for v in _flat(value):
                    names.want(kind, v)
    names.load()
    shown = []
    for e in entries:
        actor = names.link("user", e.actor_id)[0] if e.actor_id and names.found.get("user", {}).get(e.actor_id) \
            else (escape(e.actor_email) if e.actor_email else None)
        target, target_text = names.link(e.object_type, e.object_id) if e.object_type in OBJECTS and e.object_id \
            else (None, "")
        shown.append(ShownEntry(
            entry=e, when=local_moment(e.created_at), when_utc=e.created_at.replace(tzinfo=UTC).strftime(
                "%Y-%m-%d %H:%M:%S UTC"), action=action_label(e.action),
            object_type=object_label(e.object_type) if e.object_type else "", target=target,
            target_text=target_text or _plain_target(e), actor=actor,
            changes=_changes(names, e.changes)))
    return shown


def _plain_target(entry) -> str:
    """An object with no page of its own: a download by the page it came from, anything else by its number."""
    if entry.object_type == "export" and (entry.changes or {}).get("path"):
        return str(entry.changes["path"])
    return f"#{entry.object_id}" if entry.object_id else ""
