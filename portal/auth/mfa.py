"""Two-factor sign-in with a TOTP app (RFC 6238, pyotp) and one-time recovery codes.

- The secret is confirmed with a first code before it is switched on.
- Each accepted code's time-step is stored: the same code (or an older one) is never accepted twice.
- Recovery codes are shown once; only their SHA-256 is kept (they are long random strings, so a fast hash
  is enough), and each works once.
"""

import hashlib
import io
import secrets
from datetime import UTC

import pyotp
import segno
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.auth.models import RecoveryCode, User
from portal.auth.passwords import verify_password
from portal.core.errors import DomainError
from portal.core.time import utcnow
from portal.extensions import db

RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper without doubt


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=current_app.config["MFA_ISSUER"])


def qr_svg(user: User, secret: str) -> str:
    """The enrolment QR code as SVG, drawn here: the secret never leaves the server for a chart service."""
    out = io.BytesIO()
    segno.make(provisioning_uri(user, secret), error="m").save(out, kind="svg", scale=5, border=2,
                                                               xmldecl=False, svgns=True)
    return out.getvalue().decode()


def _digits(code: str | None) -> str:
    return "".join(ch for ch in (code or "") if not ch.isspace())[:64]


def matching_step(secret: str, code: str, after: int | None = None) -> int | None:
    """The time-step (current, or one either side for clock drift) whose code this is, newer than `after`."""
    code = _digits(code)
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(utcnow().replace(tzinfo=UTC))
    for step in (now_step, now_step - 1, now_step + 1):
        if (after is None or step > after) and secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def verify_code(user: User, code: str) -> bool:
    """Accept a TOTP code once: its time-step is remembered, so a replayed code is refused."""
    if not user.mfa_enabled:
        return False
    step = matching_step(user.mfa_secret, code, after=user.mfa_last_step)
    if step is None:
        return False
    user.mfa_last_step = step
    db.session.flush()
    return True


def _hash_recovery(code: str) -> str:
    normalized = _digits(code).replace("-", "").lower()
    return hashlib.sha256(normalized.encode()).hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    """Replace the person's recovery codes; the returned plain codes are shown once and never stored."""
    for old in db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        db.session.delete(old)
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        code = f"{raw[:5]}-{raw[5:]}"
        codes.append(code)
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash_recovery(code)))
    db.session.flush()
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    if not user.mfa_enabled or len(_digits(code).replace("-", "")) != 10:
        return False
    row = db.session.scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash_recovery(code),
        RecoveryCode.used_at.is_(None)))
    if row is None:
        return False
    row.used_at = utcnow()
    db.session.flush()
    return True


def recovery_codes_left(user: User) -> int:
    from sqlalchemy import func

    return db.session.scalar(select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def enable_mfa(user: User, secret: str, code: str) -> list[str]:
    """Switch two-factor sign-in on once a first code from the app proves it is set up; return recovery codes."""
    if user.mfa_enabled:
        raise DomainError(_l("Two-factor sign-in is already on."))
    step = matching_step(secret, code)
    if step is None:
        raise DomainError(_l("The code does not match: check the time on your phone and enter the newest code."),
                          field="code")
    user.mfa_secret = secret
    user.mfa_enabled_at = utcnow()
    user.mfa_last_step = step
    return new_recovery_codes(user)


def check_password(user: User, password: str) -> None:
    if not verify_password(user.password_hash, password or ""):
        raise DomainError(_l("The password is wrong."), field="password")


def disable_mfa(user: User, password: str) -> None:
    check_password(user, password)
    user.mfa_secret = None
    user.mfa_enabled_at = None
    user.mfa_last_step = None
    for old in db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        db.session.delete(old)
    db.session.flush()
