"""Hostile JSON bodies answer a 400 problem, never a 500; JSON answers carry Cyrillic as UTF-8."""

import pytest

from tests.api.conftest import auth, sale

DEEP = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000
LONG_NUMBER = '{"claims": [' + "1" * 4301 + "]}"
PATHS = ["/api/v1/claims", "/api/v1/claims/batch", "/api/v1/leads", "/api/v1/leads/batch",
         "/api/v1/claims/1/reject", "/api/v1/leads/1/close"]


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT, LONG_NUMBER], ids=["deep-list", "deep-object", "long-int"])
@pytest.mark.parametrize("idempotent", [False, True])
def test_unreadable_json_is_a_400_problem_on_every_post(client, company_token, program_token, body, idempotent):
    for path in PATHS:
        token = program_token if path.endswith(("reject", "close")) else company_token
        headers = auth(token, **({"Idempotency-Key": f"k-{path}"} if idempotent else {}))
        response = client.post(path, data=body, content_type="application/json", headers=headers)
        assert response.status_code == 400, (path, response.get_data(as_text=True)[:300])
        assert response.content_type == "application/problem+json"
        assert "JSON" in response.get_json()["detail"]


def test_the_problem_is_in_the_callers_language(client, company_token):
    russian = client.post("/api/v1/claims", data=DEEP, content_type="application/json", headers=auth(company_token))
    english = client.post("/api/v1/claims", data=DEEP, content_type="application/json",
                          headers=auth(company_token, **{"Accept-Language": "en"}))
    assert "не является корректным JSON" in russian.get_json()["detail"]
    assert "is not valid JSON" in english.get_json()["detail"]


def test_the_pages_get_json_answers_400_too(app):
    with app.test_request_context("/", method="POST", data=DEEP, content_type="application/json"):
        from flask import request
        from werkzeug.exceptions import BadRequest

        with pytest.raises(BadRequest):
            request.get_json()
        assert request.get_json(silent=True) is None


def test_answers_carry_cyrillic_as_utf8(client, company_token):
    made = client.post("/api/v1/claims", json=sale(), headers=auth(company_token))
    assert "ООО «Заказчик»".encode() in made.get_data()
    listed = client.get("/api/v1/claims", headers=auth(company_token))
    assert "ООО «Заказчик»".encode() in listed.get_data() and b"\\u" not in listed.get_data()


def test_an_empty_idempotency_key_is_a_problem_and_the_document_requires_one_character(client, company_token):
    response = client.post("/api/v1/claims", json=sale(), headers=auth(company_token, **{"Idempotency-Key": ""}))
    assert response.status_code == 422 and "Idempotency-Key" in response.get_json()["errors"]
    document = client.get("/api/v1/openapi.json").get_json()
    header = next(p for p in document["paths"]["/api/v1/claims"]["post"]["parameters"]
                  if p["name"] == "Idempotency-Key")
    assert header["schema"]["minLength"] == 1
