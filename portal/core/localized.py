"""Names managers give in Russian and, optionally, in English: the reader's language picks, Russian fills gaps."""

from flask import has_request_context
from flask_babel import get_locale


def in_locale(russian: str | None, english: str | None) -> str:
    """The English text for English readers when there is one, otherwise the Russian original."""
    if english and english.strip() and has_request_context() and str(get_locale()) == "en":
        return english
    return russian or ""
