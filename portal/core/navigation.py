"""The main menu: each feature adds its entries with the roles that may see them."""

from dataclasses import dataclass

from flask import url_for


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy translated string
    roles: tuple[str, ...]
    prefix: str  # the endpoint prefix that marks the entry as current


_items: list[NavItem] = []


def add_nav_item(endpoint: str, label, roles: tuple[str, ...], prefix: str | None = None) -> None:
    if any(item.endpoint == endpoint for item in _items):
        return
    _items.append(NavItem(endpoint, label, roles, prefix or endpoint))


def nav_items(user) -> list[dict]:
    return [
        {"url": url_for(item.endpoint), "label": item.label, "prefix": item.prefix}
        for item in _items
        if user.role in item.roles
    ]
