"""Small factories for tests: companies and people with sensible defaults, committed."""

import functools
import itertools

from flask import current_app, has_app_context

from portal.auth.models import MANAGER, PARTICIPANT, User
from portal.auth.passwords import hash_password
from portal.core.inn import make_inn
from portal.core.time import utcnow
from portal.extensions import db
from portal.partners.models import APPROVED, CompanyMembership, PartnerCompany

PASSWORD = "secret123"
_HASH = None
_counter = itertools.count(1)


_app = None


def bind(app) -> None:
    global _app
    _app = app


def _committed(factory):
    """Run the factory in the test's app context when it has one (service tests).

    Otherwise (view tests) run it in a short context of its own and hand back a detached object with
    its columns loaded: requests must not share an app context, and so `g`, with the test.
    """

    @functools.wraps(factory)
    def wrapper(*args, **kwargs):
        if has_app_context() and current_app._get_current_object() is _app:
            return factory(*args, **kwargs)
        with _app.app_context():
            obj = factory(*args, **kwargs)
            db.session.refresh(obj)
            db.session.expunge(obj)
            return obj

    return wrapper


def password_hash() -> str:
    global _HASH
    if _HASH is None:
        _HASH = hash_password(PASSWORD)
    return _HASH


@_committed
def company(name: str | None = None, status: str = APPROVED, inn: str | None = None, region: str = "Москва"):
    n = next(_counter)
    company = PartnerCompany(
        inn=inn or make_inn(f"5{n:08d}"), name=name or f"ООО «Партнёр {n}»", region=region, status=status
    )
    db.session.add(company)
    db.session.commit()
    return company


@_committed
def user(role: str = PARTICIPANT, company=None, email: str | None = None, confirmed: bool = True,
         audience: str | None = "manager", full_name: str | None = None, locale: str = "ru", active: bool = True):
    n = next(_counter)
    if company is None and role in ("participant", "partner_admin"):
        company = globals()["company"].__wrapped__()
    user = User(
        email=email or f"person{n}@example.test", password_hash=password_hash(),
        full_name=full_name or f"Тестов Тест {n}", role=role, locale=locale, active=active,
        audience=audience if company else None, phone="+79991234567" if company else None,
        email_confirmed_at=utcnow() if confirmed else None, company_id=company.id if company else None,
    )
    db.session.add(user)
    db.session.flush()
    if company is not None:
        db.session.add(CompanyMembership(user_id=user.id, company_id=company.id))
    db.session.commit()
    return user


def manager(**kwargs):
    return user(role=MANAGER, **kwargs)
