"""What makes two leads the same customer: INN, normalised name in the same region, email domain, phone."""

import re

# Legal forms people put before or after a Russian company's name; they say nothing about who it is.
LEGAL_FORMS = {
    "ооо", "ао", "зао", "оао", "пао", "нао", "ип", "тоо", "одо", "нко", "ано", "гуп", "муп", "фгуп",
    "llc", "ltd", "inc", "jsc", "pjsc", "cjsc", "gmbh",
}
# Mail services anyone can have an address at: the domain tells nothing about the company.
PUBLIC_EMAIL_DOMAINS = {
    "mail.ru", "bk.ru", "list.ru", "inbox.ru", "internet.ru", "yandex.ru", "ya.ru", "yandex.com", "yandex.by",
    "yandex.kz", "narod.ru", "rambler.ru", "lenta.ru", "autorambler.ru", "ro.ru", "gmail.com", "googlemail.com",
    "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com", "icloud.com", "me.com", "mac.com",
    "proton.me", "protonmail.com", "vk.com", "aol.com", "gmx.com", "gmx.de", "zoho.com", "qip.ru", "pm.me",
}
_WORD = re.compile(r"[0-9a-zа-я]+")


def name_key(name: str | None) -> str:
    """«ООО "Ромашка"», 'ромашка ооо' and 'РОМАШКА' all become 'ромашка'."""
    words = _WORD.findall((name or "").lower().replace("ё", "е"))
    kept = [word for word in words if word not in LEGAL_FORMS]
    return "".join(kept or words)[:200]


def region_key(region: str | None) -> str:
    return "".join(_WORD.findall((region or "").lower().replace("ё", "е")))[:120]


def email_domain(email: str | None) -> str | None:
    """The company's own mail domain, or None for public mail services and missing addresses."""
    _, at, domain = (email or "").strip().lower().rpartition("@")
    domain = domain.strip(".")
    if not at or not domain or domain in PUBLIC_EMAIL_DOMAINS:
        return None
    return domain[:254]
