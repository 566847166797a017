"""Lazy loads while a template renders (issue #27): a page's view loads what its template shows.

`watch_lazy_loads(app, engine)` records every ORM relationship load and every reload of an expired or deferred
column that runs while Flask renders a template: the template being rendered (the innermost template file on the
stack, so a macro's file rather than the page that imports it), and what was loaded (`Claim.user`, or
`User(columns)` for a column reload). A read there is a query per row that the view could have made once.

A load that is known and cheap enough goes in `ALLOWED` with a comment saying why.
"""

import sys
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import before_render_template, request_started, template_rendered
from sqlalchemy import event
from sqlalchemy.orm import Session

# (template file, what was loaded) pairs a page may lazy-load on purpose; say why next to each.
ALLOWED: set[tuple[str, str]] = {
    # The claim page's risk card, for staff only: one row by the claim's key, once per page. The backref is fraud's
    # (portal/fraud/models.py), which the claims views may not name, so they cannot load it themselves.
    ("claims/_risk.html", "Claim.risk"),
}


@dataclass
class LazyLoads:
    found: set[tuple[str, str]] = field(default_factory=set)
    _rendering: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.found.clear()


def _innermost_template(default: str) -> str:
    """The template file whose compiled code is running (Jinja names its code objects after the file)."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.endswith((".html", ".txt", ".j2")):
            parts = filename.replace("\\", "/").split("/templates/")
            return parts[-1]
        frame = frame.f_back
    return default


def _what(state) -> str:
    if state.lazy_loaded_from is not None:
        path = state.loader_strategy_path
        prop = path.path[-1] if path is not None and path.path else None
        if prop is not None and hasattr(prop, "parent"):
            return f"{prop.parent.class_.__name__}.{prop.key}"
        return str(path)
    mapper = state.bind_mapper
    return f"{mapper.class_.__name__ if mapper is not None else '?'}(columns)"


@contextmanager
def watch_lazy_loads(app):
    """Record the lazy loads that run while `app` renders a template, for as long as the block runs."""
    loads = LazyLoads()

    def started(_sender, template, **_extra):
        loads._rendering.append(template.name or "?")

    def finished(_sender, template, **_extra):
        if loads._rendering:
            loads._rendering.pop()

    def new_request(_sender, **_extra):
        loads._rendering.clear()  # a template that raised never said it finished

    def executed(state):
        # A lazy loader names the object it loads for; an eager load (selectinload) run by a function the
        # template calls does not: that is the function's one read, not one per row.
        if not loads._rendering or not state.is_select \
                or not (state.lazy_loaded_from is not None or state.is_column_load):
            return
        found = (_innermost_template(loads._rendering[-1]), _what(state))
        if found not in ALLOWED:
            loads.found.add(found)

    request_started.connect(new_request, app)
    before_render_template.connect(started, app)
    template_rendered.connect(finished, app)
    event.listen(Session, "do_orm_execute", executed)
    try:
        yield loads
    finally:
        event.remove(Session, "do_orm_execute", executed)
        template_rendered.disconnect(finished, app)
        before_render_template.disconnect(started, app)
        request_started.disconnect(new_request, app)
