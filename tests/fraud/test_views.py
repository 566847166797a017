"""The review queue's risk column, filter and order; the claim page's signals; holding, fraud, thresholds; API."""

import re

import pytest
from sqlalchemy import select

from portal.auth.models import MANAGER
from portal.claims.models import REJECTED, SUBMITTED, Claim
from portal.extensions import db
from portal.fraud.models import ClaimRisk, FraudSettings
from portal.program.services import get_settings
from tests.api.conftest import auth
from tests.claims import factories as f
from tests.fraud.helpers import invoice_image, submit


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)


@pytest.fixture
def scene(app, make):
    """Two sellers of two companies; the second sends the very same scan as the first; a manager."""
    first_seller = make.user(email="first@example.test")
    second_seller = make.user(email="second@example.test")
    make.user(role=MANAGER, email="boss@example.test")
    make.user(role=MANAGER, email="second-boss@example.test")
    with app.app_context():
        f.product()
        f.per_unit_rule(100)
        get_settings().first_sale_bonus = 0
        db.session.flush()
        calm = submit(db.session.merge(first_seller), number="СЧ-1", scan=invoice_image(1))
        copy = submit(db.session.merge(second_seller), number="СЧ-99", scan=invoice_image(1))
        db.session.commit()
        return {"calm": calm.id, "copy": copy.id}


def queue_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'name="claim_ids" value="(\d+)"', html)]


def test_the_queue_shows_the_risk_filters_above_n_and_sorts_riskiest_first(client, login, scene):
    login("boss@example.test")
    page = client.get("/console/claims").get_data(as_text=True)
    assert queue_ids(page) == [scene["calm"], scene["copy"]] and 'data-testid="risk-cell"' in page
    assert queue_ids(client.get("/console/claims?sort=risk").get_data(as_text=True)) == [scene["copy"], scene["calm"]]
    assert queue_ids(client.get("/console/claims?risk_min=50").get_data(as_text=True)) == [scene["copy"]]
    for bad in ("abc", "-5", "1e99"):
        response = client.get(f"/console/claims?risk_min={bad}")
        assert response.status_code == 200 and len(queue_ids(response.get_data(as_text=True))) == 2
    huge = client.get("/console/claims?risk_min=" + "9" * 40)
    assert huge.status_code == 200 and queue_ids(huge.get_data(as_text=True)) == []


def test_the_claim_page_explains_each_signal_with_links_and_the_participant_sees_none(client, login, scene):
    login("boss@example.test")
    page = client.get(f"/claims/{scene['copy']}").get_data(as_text=True)
    assert 'data-testid="risk-score">60<' in page and "Тот же самый файл скана" in page
    assert f'href="/claims/{scene["calm"]}/scan"' in page and f'href="/claims/{scene["calm"]}"' in page
    login("second@example.test")
    assert 'data-testid="risk"' not in client.get(f"/claims/{scene['copy']}").get_data(as_text=True)


def test_hold_then_a_second_reviewer_approves(app, client, login, scene):
    login("boss@example.test")
    refused = client.post(f"/console/claims/{scene['copy']}/approve", follow_redirects=True)
    assert "двух проверяющих" in refused.get_data(as_text=True)
    client.post(f"/console/claims/{scene['copy']}/hold")
    refused = client.post(f"/console/claims/{scene['copy']}/approve", follow_redirects=True)
    assert "кто-то другой" in refused.get_data(as_text=True)
    login("second-boss@example.test")
    client.post(f"/console/claims/{scene['copy']}/approve")
    with app.app_context():
        assert db.session.get(Claim, scene["copy"]).status == "approved"


def test_bulk_approval_skips_a_risky_claim_and_says_why(app, client, login, scene):
    login("boss@example.test")
    response = client.post("/console/claims/bulk", data={"action": "approve", "reason_code": "other",
                                                         "claim_ids": [scene["calm"], scene["copy"]]},
                           follow_redirects=True)
    assert f"#{scene['copy']}: Оценка риска 60" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Claim, scene["copy"]).status == SUBMITTED
        assert db.session.get(Claim, scene["calm"]).status == "approved"


def test_reject_as_fraud_from_the_claim_page(app, client, login, scene):
    login("boss@example.test")
    client.post(f"/console/claims/{scene['copy']}/fraud", data={"note": "Скан чужой продажи"})
    with app.app_context():
        claim = db.session.get(Claim, scene["copy"])
        assert claim.status == REJECTED and db.session.get(ClaimRisk, claim.id).fraud
    long = client.post(f"/console/claims/{scene['calm']}/fraud", data={"note": "x" * 400}, follow_redirects=True)
    assert long.status_code == 200 and "300" in long.get_data(as_text=True)


def test_a_participant_cannot_hold_or_decide(client, login, scene):
    login("second@example.test")
    assert client.post(f"/console/claims/{scene['calm']}/hold").status_code in (403, 404)
    assert client.post(f"/console/claims/{scene['calm']}/fraud").status_code in (403, 404)


def test_the_manager_sets_the_thresholds_with_clear_messages(app, client, login, scene):
    login("boss@example.test")
    assert client.get("/console/fraud").status_code == 200
    wrong = client.post("/console/fraud", data={"bulk_max_score": "70", "hold_score": "60", "large_sale": "100000"})
    assert wrong.status_code == 200 and "ниже" in wrong.get_data(as_text=True)
    text = client.post("/console/fraud", data={"bulk_max_score": "x", "hold_score": "", "large_sale": "много"})
    assert text.status_code == 200
    client.post("/console/fraud", data={"bulk_max_score": "10", "hold_score": "40", "large_sale": "200 000"})
    with app.app_context():
        saved = db.session.get(FraudSettings, 1)
        assert (saved.bulk_max_score, saved.hold_score, saved.large_sale_kopecks) == (10, 40, 20_000_000)


def test_the_api_gives_program_keys_the_risk_and_company_keys_nothing(app, client, make):
    from portal.api import services as keys
    from portal.api.models import COMPANY_SCOPES, PROGRAM_SCOPES
    from portal.auth.models import PARTNER_ADMIN, User

    seller = make.user(email="seller@api.test")
    admin = make.user(role=PARTNER_ADMIN)
    manager = make.user(role=MANAGER)
    with app.app_context():
        f.product()
        get_settings().first_sale_bonus = 0
        admin = db.session.get(User, admin.id)
        admin.company_id = db.session.get(User, seller.id).company_id
        claim = submit(db.session.get(User, seller.id), customer_inn=db.session.get(User, seller.id).company.inn,
                       scan=invoice_image(3))
        program = keys.create_key(db.session.get(User, manager.id), "BI", list(PROGRAM_SCOPES)).token
        company = keys.create_key(admin, "1C", list(COMPANY_SCOPES)).token
        db.session.commit()
        claim_id = claim.id
    risk = client.get(f"/api/v1/claims/{claim_id}", headers=auth(program)).get_json()["risk"]
    assert risk["score"] == 70 and risk["held"] and risk["signals"][0]["code"] == "own_company"
    assert "собственная компания" in risk["signals"][0]["text"] or "own company" in risk["signals"][0]["text"]
    assert client.get(f"/api/v1/claims/{claim_id}", headers=auth(company)).get_json()["risk"] is None
    queue = client.get("/api/v1/queue", headers=auth(program)).get_json()
    assert queue["items"][0]["risk"]["score"] == 70
    with app.app_context():
        assert db.session.scalar(select(ClaimRisk.score)) == 70
