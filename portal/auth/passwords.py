"""The password rule: long enough, not all one kind of character, not an obvious one."""

from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from portal.core.errors import DomainError

MIN_LENGTH = 8
MAX_LENGTH = 128
COMMON = {
    "password", "password1", "qwerty123", "12345678", "123456789", "1234567890", "11111111",
    "qwertyui", "iloveyou", "admin123", "welcome1", "passw0rd", "qwerty12", "abc12345",
    "йцукенгш", "пароль123",
}


def check_password_strength(password: str, email: str | None = None) -> None:
    """Raise DomainError(field="password") when the password breaks the rule."""
    if len(password) < MIN_LENGTH:
        raise DomainError(_l("Use at least %(n)s characters.", n=MIN_LENGTH), field="password")
    if len(password) > MAX_LENGTH:
        raise DomainError(_l("Use at most %(n)s characters.", n=MAX_LENGTH), field="password")
    if not any(ch.isalpha() for ch in password) or not any(ch.isdigit() for ch in password):
        raise DomainError(_l("Use both letters and digits."), field="password")
    lowered = password.lower()
    if lowered in COMMON or len(set(lowered)) < 4:
        raise DomainError(_l("This password is too easy to guess."), field="password")
    if email and lowered == email.lower().split("@")[0]:
        raise DomainError(_l("The password must not repeat your email."), field="password")


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)
