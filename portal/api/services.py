"""API keys: creating them (shown once), revoking, recognising one on a request, and the rate limit per key."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update

from portal.audit import services as audit
from portal.auth.models import PARTNER_ADMIN, STAFF_ROLES, User
from portal.core.errors import DomainError, NotAllowed
from portal.core.time import utcnow
from portal.extensions import db

from .models import COMPANY_SCOPES, PROGRAM_SCOPES, ApiKey

TOKEN_PREFIX = "plk_"
LAST_USE_PRECISION = timedelta(minutes=1)  # last use is written at most once a minute per key


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    token: str  # shown once, never stored


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _check_name_and_scopes(name: str, scopes: list[str], allowed: dict) -> tuple[str, list[str]]:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_l("Name the key after the system that will use it."), field="name")
    if len(name) > 100:
        raise DomainError(_l("At most 100 characters."), field="name")
    chosen = [scope for scope in allowed if scope in set(scopes or ())]
    if not chosen or len(chosen) != len(set(scopes)):
        raise DomainError(_l("Choose at least one permission."), field="scopes")
    return name, chosen


def create_key(actor: User, name: str, scopes: list[str]) -> NewKey:
    """A partner admin's key for their company, or a program manager's program-wide key."""
    if actor.role == PARTNER_ADMIN and actor.company is not None and actor.company.is_approved:
        company_id, allowed = actor.company_id, COMPANY_SCOPES
    elif actor.role in STAFF_ROLES:
        company_id, allowed = None, PROGRAM_SCOPES
    else:
        raise NotAllowed(_l("Only partner admins and the program team create API keys."))
    name, chosen = _check_name_and_scopes(name, scopes, allowed)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(company_id=company_id, name=name, prefix=token[:12], token_hash=hash_token(token),
                 scopes=" ".join(chosen), created_by_id=actor.id)
    db.session.add(key)
    db.session.flush()
    audit.record(audit.API_KEY_CREATED, actor=actor, object_type="api_key", object_id=key.id,
                 changes={"name": name, "scopes": " ".join(chosen), "company": company_id})
    return NewKey(key, token)


def keys_for(actor: User):
    """The keys the actor manages: their company's, or the program-wide ones."""
    query = select(ApiKey).order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc(), ApiKey.id.desc())
    if actor.role in STAFF_ROLES:
        return query.where(ApiKey.company_id.is_(None))
    return query.where(ApiKey.company_id == actor.company_id)


def can_manage(actor: User, key: ApiKey) -> bool:
    if actor.role in STAFF_ROLES:
        return key.company_id is None
    return actor.role == PARTNER_ADMIN and key.company_id is not None and key.company_id == actor.company_id


def revoke_key(actor: User, key: ApiKey) -> ApiKey:
    """Stop the key at once: the next request with it gets 401."""
    if not can_manage(actor, key):
        raise NotAllowed(_l("This key is not yours to revoke."))
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        key.revoked_by_id = actor.id
        db.session.flush()
        audit.record(audit.API_KEY_REVOKED, actor=actor, object_type="api_key", object_id=key.id,
                     changes={"name": key.name, "company": key.company_id})
    return key


def authenticate(token: str) -> ApiKey | None:
    """The active key this token belongs to, or None: an unknown, revoked or orphaned key looks the same."""
    if not token or len(token) > 200 or not token.startswith(TOKEN_PREFIX):
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.token_hash == hash_token(token)))
    if key is None or key.revoked_at is not None:
        return None
    if key.company_id is not None:
        if key.company is None or not key.company.is_approved:
            return None
    else:
        owner = key.created_by
        if owner is None or not owner.active or owner.role not in STAFF_ROLES:
            return None  # a program key acts as its creator: it stops when they leave the team
    return key


def touch_key(key: ApiKey) -> None:
    """Record the last use, at most once a minute, so that busy keys do not write on every call."""
    now = utcnow()
    db.session.execute(
        update(ApiKey).where(ApiKey.id == key.id,
                             or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - LAST_USE_PRECISION))
        .values(last_used_at=now).execution_options(synchronize_session=False)
    )
