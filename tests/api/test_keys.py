import re

import pytest
from sqlalchemy import select

from portal.api import services as keys
from portal.api.models import ApiKey
from portal.auth.models import PARTICIPANT, PARTNER_ADMIN
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db
from tests.api.conftest import auth


def test_a_partner_admin_creates_a_key_shown_once_and_stored_hashed(client, app, login, program, make):
    admin_email = make_admin_email(app, program)
    login(admin_email)
    page = client.post("/integrations", data={"name": "1C Trade", "scopes": ["claims:write", "claims:read"]})
    assert page.status_code == 200
    token = re.search(r'id="new-token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    assert token.startswith("plk_") and len(token) > 40
    with app.app_context():
        key = db.session.scalar(select(ApiKey))
        assert key.token_hash == keys.hash_token(token) and token not in (key.token_hash, key.prefix)
        assert key.company_id == program.company_id and key.scope_set == {"claims:write", "claims:read"}
    again = client.get("/integrations").get_data(as_text=True)
    assert token not in again and key.prefix in again
    assert client.get("/api/v1/me", headers=auth(token)).get_json()["scopes"] == ["claims:read", "claims:write"]


def make_admin_email(app, program):
    from portal.auth.models import User

    with app.app_context():
        return db.session.get(User, program.admin_id).email


def test_revoked_and_wrong_keys_get_the_same_401(client, app, login, program, company_token):
    assert client.get("/api/v1/me", headers=auth(company_token)).status_code == 200
    login(make_admin_email(app, program))
    with app.app_context():
        key_id = db.session.scalar(select(ApiKey.id))
    client.post(f"/integrations/keys/{key_id}/revoke")
    revoked = client.get("/api/v1/me", headers=auth(company_token))
    wrong = client.get("/api/v1/me", headers=auth("plk_" + "x" * 43))
    missing = client.get("/api/v1/me")
    assert revoked.status_code == wrong.status_code == missing.status_code == 401
    assert revoked.get_data() == wrong.get_data() == missing.get_data()
    assert revoked.content_type == "application/problem+json"


def test_last_use_is_shown(client, app, login, program, company_token):
    login(make_admin_email(app, program))
    assert "ни разу" in client.get("/integrations").get_data(as_text=True)
    client.get("/api/v1/me", headers=auth(company_token))
    with app.app_context():
        assert db.session.scalar(select(ApiKey.last_used_at)) is not None
    assert "ни разу" not in client.get("/integrations").get_data(as_text=True)


def test_a_program_key_stops_when_its_creator_leaves_the_team(client, app, program, program_token):
    from portal.auth.models import User

    assert client.get("/api/v1/queue", headers=auth(program_token)).status_code == 200
    with app.app_context():
        db.session.get(User, program.manager_id).active = False
        db.session.commit()
    assert client.get("/api/v1/queue", headers=auth(program_token)).status_code == 401


def test_scopes_by_role(app, program, db):
    from portal.auth.models import User

    admin, manager = db.session.get(User, program.admin_id), db.session.get(User, program.manager_id)
    seller = db.session.get(User, program.seller_id)
    with pytest.raises(DomainError):
        keys.create_key(admin, "x", ["orders:read"])  # a program scope on a company key
    with pytest.raises(DomainError):
        keys.create_key(manager, "x", ["claims:write"])
    with pytest.raises(DomainError):
        keys.create_key(admin, " ", ["claims:read"])
    with pytest.raises(NotAllowed):
        keys.create_key(seller, "x", ["claims:read"])
    assert keys.create_key(manager, "BI", ["orders:read"]).key.company_id is None


def test_keys_of_another_company_cannot_be_seen_or_revoked(client, app, login, program, make, make_key):
    token = make_key(program.admin_id)
    other_admin = make.user(role=PARTNER_ADMIN, company=None)
    login(other_admin.email)
    with app.app_context():
        key = db.session.scalar(select(ApiKey))
    assert key.prefix not in client.get("/integrations").get_data(as_text=True)
    assert client.post(f"/integrations/keys/{key.id}/revoke").status_code == 404
    assert client.post("/integrations/keys/99999999999999999999/revoke").status_code == 404
    assert client.get("/api/v1/me", headers=auth(token)).status_code == 200


def test_participants_cannot_open_the_key_pages(client, login, make):
    person = make.user(role=PARTICIPANT)
    login(person.email)
    assert client.get("/integrations").status_code == 403


def test_the_rate_limit_is_per_key(make_app, program, make_key):
    app = make_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    first, second = make_key(program.admin_id), make_key(program.admin_id)
    client = app.test_client()
    codes = [client.get("/api/v1/me", headers=auth(first)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get("/api/v1/me", headers=auth(second)).status_code == 200
    limited = client.get("/api/v1/me", headers=auth(first))
    assert limited.content_type == "application/problem+json" and limited.headers["Retry-After"]


def checked_scopes(html: str) -> set[str]:
    return set(re.findall(r'<input checked[^>]*name="scopes"[^>]*value="([^"]+)"', html)) | set(
        re.findall(r'<input[^>]*name="scopes"[^>]*value="([^"]+)"[^>]*checked', html))


def test_the_new_key_form_starts_empty_offers_presets_and_is_cleared_after_creating(client, app, login, program):
    login(make_admin_email(app, program))
    page = client.get("/integrations").get_data(as_text=True)
    assert checked_scopes(page) == set() and 'name="scopes"' in page
    assert "1С: отправка продаж" in page and "CRM: лиды" in page and "Только чтение" in page
    assert 'data-scopes="claims:write claims:read catalogue:read"' in page

    created = client.post("/integrations", data={"name": "1C Trade", "preset": "1c"})  # without the script
    html = created.get_data(as_text=True)
    assert 'id="new-token"' in html
    with app.app_context():
        key = db.session.scalar(select(ApiKey))
        assert key.scope_set == {"claims:write", "claims:read", "catalogue:read"}
    assert checked_scopes(html) == set() and 'value="1C Trade"' not in html  # the form is empty again
    assert re.search(r'<input checked[^>]*name="preset"[^>]*value="1c"', html) is None

    reader = client.post("/integrations", data={"name": "BI", "preset": "read", "scopes": ["leads:read"]})
    assert reader.status_code == 200
    with app.app_context():
        key = db.session.scalar(select(ApiKey).where(ApiKey.name == "BI"))
        assert key.scope_set == {"claims:read", "points:read", "catalogue:read", "leads:read"}
    nothing = client.post("/integrations", data={"name": "Empty"}).get_data(as_text=True)
    assert 'id="new-token"' not in nothing


def test_the_program_team_gets_the_read_only_preset_of_program_scopes(client, app, login, program, make):
    from portal.auth.models import User

    with app.app_context():
        email = db.session.get(User, program.manager_id).email
    login(email)
    page = client.get("/integrations").get_data(as_text=True)
    assert "1С: отправка продаж" not in page and 'data-scopes="queue:read participants:read orders:read"' in page
    client.post("/integrations", data={"name": "BI", "preset": "read"})
    with app.app_context():
        assert db.session.scalar(select(ApiKey)).scope_set == {"queue:read", "participants:read", "orders:read"}
