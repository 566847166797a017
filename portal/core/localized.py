"""The reader's language: names managers give in Russian and, optionally, in English; and the templates'
translation lookups, resolved once per request instead of once per string."""

from flask import g, has_app_context
from flask_babel import get_locale, get_translations


def in_locale(russian: str | None, english: str | None) -> str:
    """The English text for English readers when there is one, otherwise the Russian original. Readers are those
    of the page, or of a mail rendered in its recipient's language (force_locale, also in the worker)."""
    if english and english.strip() and has_app_context() and str(get_locale()) == "en":
        return english
    return russian or ""


def current_translations():
    """flask-babel's catalogue for the current locale. flask-babel looks the locale and the catalogue up through
    several context proxies for every string (about 300 strings a page); this keeps the catalogue beside the
    locale object flask-babel stores for the request, so `force_locale` and `refresh` (which replace that object)
    still switch catalogues."""
    context = getattr(g, "_flask_babel", None) if g else None
    locale = getattr(context, "babel_locale", None)
    if locale is None:  # not chosen yet in this request: flask-babel chooses it (and stores it) now
        return get_translations()
    cached = getattr(context, "portal_translations", None)
    if cached is None or cached[0] is not locale:
        cached = context.portal_translations = (locale, get_translations())
    return cached[1]


def install_template_gettext(app) -> None:
    """The templates' {% trans %}, _() and ngettext through `current_translations` (flask-babel installs the
    same callables, each resolving the catalogue anew)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: current_translations().ugettext(s),
        ngettext=lambda s, p, n: current_translations().ungettext(s, p, n),
        pgettext=lambda c, s: current_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: current_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
