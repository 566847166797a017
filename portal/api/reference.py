"""The API reference in the reader's language: the OpenAPI document and its Swagger UI page.

The document is generated once, in English. Its summaries and descriptions are written as N_("...") so that
`portal translations update` puts them in the catalogue; each request for the document translates a copy into
the reader's language: `?lang=`, else the signed-in person's UI language, else Accept-Language, else Russian.
"""

import re
from http import HTTPStatus

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_pgettext
from flask_login import current_user

TRANSLATED = ("summary", "description", "title")
_SCOPES = re.compile(r"^Scopes: (.*)\.$")
# Responses are described by their HTTP phrase ("Not Found"): the problem titles say the same in both languages.
_SUCCESS = {200: lazy_pgettext("HTTP status", "OK"), 201: lazy_pgettext("HTTP status", "Created"),
            204: lazy_pgettext("HTTP status", "No Content"), 207: lazy_pgettext("HTTP status", "Multi-Status")}


def N_(text: str) -> str:  # noqa: N802 - the name gettext tools know as "mark for translation"
    """Mark an English text of the API reference for the catalogue; it is translated when the document is read."""
    return text


def reader_locale() -> str:
    from portal.auth.models import LOCALES

    chosen = request.args.get("lang", "")
    if chosen in LOCALES:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    return request.accept_languages.best_match(LOCALES) or "ru"


def translate_text(text: str) -> str:
    """A summary or description, paragraph by paragraph, in the current language (unknown text stays)."""
    phrase = _phrases().get(text)
    if phrase is not None:
        return str(phrase)
    paragraphs = []
    for paragraph in text.split("\n\n"):
        scopes = _SCOPES.match(paragraph)
        if scopes:
            either = " " + _("or") + " "
            paragraphs.append(_("Scopes: %(scopes)s.", scopes=scopes.group(1).replace(" or ", either)))
        else:
            paragraphs.append(_(paragraph) if paragraph.strip() else paragraph)
    return "\n\n".join(paragraphs)


def _phrases() -> dict:
    from .errors import TITLES

    return {HTTPStatus(status).phrase: title for status, title in {**TITLES, **_SUCCESS}.items()}


def translate_document(node):
    """A copy of the OpenAPI document with its summaries, descriptions and titles translated."""
    if isinstance(node, dict):
        return {key: translate_text(value) if key in TRANSLATED and isinstance(value, str)
                else translate_document(value) for key, value in node.items()}
    if isinstance(node, list):
        return [translate_document(item) for item in node]
    return node
