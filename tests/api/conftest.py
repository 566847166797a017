"""A partner company with an admin, two sellers and products; keys for it and for the program team."""

from dataclasses import dataclass
from datetime import timedelta

import pytest

from portal.api import services as keys
from portal.api.models import COMPANY_SCOPES, PROGRAM_SCOPES
from portal.auth.models import PARTNER_ADMIN
from portal.core.time import today
from portal.extensions import db
from portal.program.services import get_settings
from tests.claims import factories as f


@dataclass
class Program:
    company_id: int
    admin_id: int
    seller_email: str
    seller_id: int
    other_company_id: int
    other_seller_email: str
    other_seller_id: int
    manager_id: int


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)


@pytest.fixture
def program(app, make):
    company = make.company()
    other = make.company()
    admin = make.user(role=PARTNER_ADMIN, company=company)
    seller = make.user(company=company, email="seller@a.test")
    other_seller = make.user(company=other, email="seller@b.test")
    manager = make.manager()
    with app.app_context():
        f.product()
        f.product(sku="PIPE", name="Труба медная", category="Монтаж", price=100_000, cost=70_000)
        f.per_unit_rule(100)
        get_settings().first_sale_bonus = 0
        db.session.commit()
    return Program(company.id, admin.id, seller.email, seller.id, other.id, other_seller.email, other_seller.id,
                   manager.id)


@pytest.fixture
def make_key(app):
    """make_key(user_id, scopes=None) -> the token of a new key (all the role's scopes by default)."""

    def factory(user_id: int, scopes=None) -> str:
        from portal.auth.models import User

        with app.app_context():
            user = db.session.get(User, user_id)
            allowed = PROGRAM_SCOPES if user.is_staff else COMPANY_SCOPES
            new = keys.create_key(user, "1C", list(scopes or allowed))
            db.session.commit()
            return new.token

    return factory


@pytest.fixture
def company_token(program, make_key):
    return make_key(program.admin_id)


@pytest.fixture
def program_token(program, make_key):
    return make_key(program.manager_id)


def auth(token: str, **headers) -> dict:
    return {"Authorization": f"Bearer {token}", **headers}


def sale(external_id="DOC-1", seller="seller@a.test", number="СЧ-77", days_ago=2, **overrides) -> dict:
    body = {
        "external_id": external_id, "seller_email": seller, "invoice_number": number,
        "invoice_date": (today() - timedelta(days=days_ago)).isoformat(), "customer_name": "ООО «Заказчик»",
        "lines": [{"sku": "SPL-09", "quantity": 2, "unit_price_kopecks": 4_900_000},
                  {"sku": "PIPE", "quantity": 10, "unit_price_kopecks": 100_000}],
    }
    body.update(overrides)
    return body
