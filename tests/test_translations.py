"""Every message in the code has a Russian translation, and the English catalogue is complete."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "lazy_pgettext": ((1, "c"), 2)}
METHODS = [
    ("portal/**.py", "python"),
    ("portal/**/templates/**.html", "jinja2"),
    ("portal/**/templates/**.txt", "jinja2"),
    ("portal/templates/**.html", "jinja2"),
]


def messages_in_code() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS, options_map={"**.html": {}, "**.txt": {}}
    ):
        found.add((context, message[0] if isinstance(message, tuple) else message))
    return found


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_every_message_is_translated(locale):
    with open(ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    translated = {
        (m.context, m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy
    }
    missing = sorted(messages_in_code() - translated)
    assert not missing, f"{len(missing)} messages without a {locale} translation; run " \
        f"`flask --app wsgi portal translations update` and translate: {missing[:10]}"


def test_compiled_catalogue_is_up_to_date():
    po = ROOT / "translations" / "ru" / "LC_MESSAGES" / "messages.po"
    mo = ROOT / "translations" / "ru" / "LC_MESSAGES" / "messages.mo"
    assert mo.exists(), "run `make translations` (make run and make test do it)"
    def key(message_id):
        return message_id if isinstance(message_id, str) else message_id[0]

    with open(po, "rb") as fh:
        po_ids = {key(m.id) for m in read_po(fh) if m.id and m.string}
    with open(mo, "rb") as fh:
        mo_ids = {key(m.id) for m in read_mo(fh) if m.id}
    assert po_ids <= mo_ids
