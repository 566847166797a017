"""The main menu: each feature adds its entries with the roles that may see them.

An entry with a `group` goes into that group's dropdown (the staff console has more pages than a laptop's
width holds); an entry without one stays at the top level. A group is one of the keys in GROUP_LABELS or
a lazy translated label of its own; groups appear where their first entry was added.
"""

from dataclasses import dataclass

from flask import render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

GROUP_LABELS = {
    "partners": _l("Partners"),
    "program": _l("Program"),
    "catalogue": _l("Catalogue"),
    "shop": _l("Shop"),
    "reports": _l("Reports"),
    "settings": _l("Settings"),
}


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy translated string
    roles: tuple[str, ...]
    prefix: str  # the endpoint prefix that marks the entry as current
    group: object = None  # a key of GROUP_LABELS, a lazy label, or None for the top level


_items: list[NavItem] = []


def add_nav_item(endpoint: str, label, roles: tuple[str, ...], prefix: str | None = None, group=None) -> None:
    if any(item.endpoint == endpoint for item in _items):
        return
    _items.append(NavItem(endpoint, label, tuple(roles), prefix or endpoint, group))


def group_key(group) -> str:
    """A group given as a lazy label is known by its untranslated text, so two entries naming it agree."""
    if isinstance(group, str):
        return group
    args = getattr(group, "_args", None)
    return str(args[0]) if args else str(group)


def group_label(group):
    return GROUP_LABELS.get(group, group) if isinstance(group, str) else group


def nav_items(user) -> list[dict]:
    """The user's menu: top-level links ({url, label, prefix}) and groups ({label, key, children, prefixes})."""
    menu: list[dict] = []
    groups: dict[str, dict] = {}
    for item in _items:
        if user.role not in item.roles:
            continue
        link = {"url": url_for(item.endpoint), "label": item.label, "prefix": item.prefix,
                "endpoint": item.endpoint}
        if item.group is None:
            menu.append(link)
            continue
        key = group_key(item.group)
        if key not in groups:
            groups[key] = {"key": key, "label": group_label(item.group), "children": [], "prefixes": []}
            menu.append(groups[key])
        groups[key]["children"].append(link)
        groups[key]["prefixes"].append(item.prefix)
    return menu


_drawn: dict[tuple, Markup] = {}
_MOST_DRAWN = 5000  # roles x languages x pages is far fewer; a bound all the same


def main_menu() -> Markup:
    """The menu's HTML for this role, language and page, drawn once per process and reused: it depends on nothing
    else (the entries are chosen by role; the current page marks one active)."""
    role = current_user.role if current_user.is_authenticated else None
    key = (role, str(get_locale()), request.endpoint, request.script_root)
    html = _drawn.get(key)
    if html is None:
        html = Markup(render_template("_menu.html", menu=nav_items(current_user) if role else []))
        if len(_drawn) < _MOST_DRAWN:
            _drawn[key] = html
    return html
