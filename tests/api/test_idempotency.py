"""Idempotency-Key: one winner among parallel requests, replays, conflicts; on both databases."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from portal.api.models import IdempotentRequest
from portal.claims.models import Claim
from portal.extensions import db
from tests.api.conftest import auth, sale


def claims_in_db(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Claim.id)))


def test_the_same_key_and_body_replays_the_first_response(client, app, company_token):
    headers = auth(company_token, **{"Idempotency-Key": "order-1"})
    first = client.post("/api/v1/claims", json=sale(), headers=headers)
    again = client.post("/api/v1/claims", json=sale(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_data() == first.get_data() and again.headers["Idempotent-Replayed"] == "true"
    assert claims_in_db(app) == 1


def test_the_same_key_with_another_body_is_refused(client, company_token):
    headers = auth(company_token, **{"Idempotency-Key": "order-2"})
    client.post("/api/v1/claims", json=sale("A"), headers=headers)
    other = client.post("/api/v1/claims", json=sale("B"), headers=headers)
    assert other.status_code == 422 and "Idempotency-Key" in other.get_json()["errors"]


def test_a_running_first_request_makes_the_repeat_wait_with_409(client, app, company_token, program):
    from portal.api.idempotency import request_hash
    from portal.api.models import RUNNING, ApiKey

    with app.app_context():
        key_id = db.session.scalar(select(ApiKey.id))
    body = sale()
    with app.test_request_context("/api/v1/claims", method="POST", json=body):
        fingerprint = request_hash()  # what the first, still running request holds
    with app.app_context():
        db.session.add(IdempotentRequest(api_key_id=key_id, key="busy", request_hash=fingerprint, status=RUNNING))
        db.session.commit()
    response = client.post("/api/v1/claims", json=body, headers=auth(company_token, **{"Idempotency-Key": "busy"}))
    assert response.status_code == 409 and response.content_type == "application/problem+json"
    assert claims_in_db(app) == 0


def test_an_error_frees_the_key_for_a_corrected_retry(client, company_token):
    headers = auth(company_token, **{"Idempotency-Key": "retry-me"})
    body = sale(seller="nobody@x.test")
    assert client.post("/api/v1/claims", json=body, headers=headers).status_code == 422
    assert client.post("/api/v1/claims", json=body, headers=headers).status_code == 422


def test_fifty_parallel_posts_with_one_key_make_one_claim(app, company_token):
    body = sale()
    headers = auth(company_token, **{"Idempotency-Key": "parallel-1"})

    def post(_n):
        return app.test_client().post("/api/v1/claims", json=body, headers=headers)

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(post, range(50)))
    codes = sorted(r.status_code for r in responses)
    assert set(codes) <= {201, 409}, codes
    created = {r.get_json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    assert claims_in_db(app) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(IdempotentRequest.id))) == 1


def test_fifty_parallel_posts_of_one_document_without_a_key_make_one_claim(app, company_token):
    body = sale("RESENT")

    def post(_n):
        return app.test_client().post("/api/v1/claims", json=body, headers=auth(company_token))

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(post, range(50)))
    assert {r.status_code for r in responses} <= {200, 201, 409}
    assert claims_in_db(app) == 1


def test_old_keys_are_forgotten_by_the_scheduled_job(client, app, company_token):
    from datetime import timedelta

    from portal.core.time import utcnow
    from portal.jobs import run_due_jobs

    client.post("/api/v1/claims", json=sale(), headers=auth(company_token, **{"Idempotency-Key": "old"}))
    with app.app_context():
        assert dict(run_due_jobs(utcnow()))["forget-idempotency-keys"].startswith("0 ")
        assert dict(run_due_jobs(utcnow() + timedelta(days=8)))["forget-idempotency-keys"].startswith("1 ")
        assert db.session.scalar(select(func.count(IdempotentRequest.id))) == 0


def test_a_retried_upload_with_a_new_boundary_is_the_same_request(client, company_token):
    import io

    claim = client.post("/api/v1/claims", json=sale(), headers=auth(company_token)).get_json()
    headers = auth(company_token, **{"Idempotency-Key": "scan-1"})
    url = f"/api/v1/claims/{claim['id']}/scan"
    first = client.post(url, data={"scan": (io.BytesIO(b"%PDF-1.4 a"), "a.pdf")}, headers=headers,
                        content_type="multipart/form-data; boundary=one")
    again = client.post(url, data={"scan": (io.BytesIO(b"%PDF-1.4 a"), "a.pdf")}, headers=headers,
                        content_type="multipart/form-data; boundary=two")
    other = client.post(url, data={"scan": (io.BytesIO(b"%PDF-1.4 b"), "a.pdf")}, headers=headers,
                        content_type="multipart/form-data")
    assert first.status_code == again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
