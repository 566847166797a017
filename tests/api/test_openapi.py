"""The OpenAPI document is valid, and every endpoint survives fuzzing from it (Schemathesis, in-process)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis import checks
from schemathesis.generation import GenerationMode

from tests.api.conftest import auth, sale

PROGRAM_PATHS = ("/api/v1/queue", "/api/v1/orders", "/approve", "/reject", "/leads/queue", "/qualify", "/close")
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance]


def test_the_document_is_valid_openapi_3_1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    validate(document)
    assert document["components"]["responses"]["DEFAULT_ERROR"]["content"].keys() == {"application/problem+json"}


@pytest.fixture
def data(client, company_token):
    """Something to read: a few claims and a lead of the company."""
    from portal.extensions import db
    from tests.api.test_leads import lead
    from tests.leads import factories as lf

    for n in range(3):
        client.post("/api/v1/claims", json=sale(f"F-{n}", number=f"F-{n}"), headers=auth(company_token))
    with client.application.app_context():
        channel_id = lf.channel().id
        db.session.commit()
    client.post("/api/v1/leads", json=lead("F-LEAD", channel=channel_id), headers=auth(company_token))


def test_every_endpoint_is_fuzzed_without_a_server_error(app, data, company_token, program_token):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 23
    for operation in operations:
        fuzz_operation(operation, program_token if any(p in operation.path for p in PROGRAM_PATHS) else company_token)


def fuzz_operation(operation, token: str) -> None:
    for mode in GenerationMode:  # valid requests, then invalid ones: neither may get a 500

        @settings(max_examples=10, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case):
            case.call_and_validate(headers=auth(token), checks=CHECKS)

        fuzz()


def texts(node, path=""):
    """Every summary and description of the document, by where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("summary", "description") and isinstance(value, str):
                yield f"{path}.{key}", value
            else:
                yield from texts(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from texts(item, f"{path}.{index}")


def test_the_reference_is_in_russian_and_in_english(client):
    russian = client.get("/api/v1/openapi.json?lang=ru")
    english = client.get("/api/v1/openapi.json", headers={"Accept-Language": "en"})
    assert russian.headers["Content-Language"] == "ru" and english.headers["Content-Language"] == "en"
    post = russian.get_json()["paths"]["/api/v1/claims"]["post"]
    assert post["summary"] == "Отправить заявку по одному документу продажи."
    assert post["description"].startswith("Разрешения: `claims:write`")
    assert english.get_json()["paths"]["/api/v1/claims"]["post"]["summary"] == "Submit the claim of one sales document."
    assert "ключ".encode() in russian.get_data()  # UTF-8, not \u escapes
    english_texts = dict(texts(english.get_json()))
    untranslated = sorted(where for where, text in texts(russian.get_json())
                          if text == english_texts[where] and "PaginationMetadata" not in where)  # flask-smorest's
    assert not untranslated, untranslated
    assert russian.get_json()["components"]["responses"]["UNPROCESSABLE_ENTITY"]["description"] == "Неверный запрос"


def test_the_docs_page_opens_in_the_readers_language(client, login, make):
    from portal.auth.models import User
    from portal.extensions import db

    assert "openapi.json?lang=en" in client.get("/api/v1/docs", headers={"Accept-Language": "en"}).get_data(
        as_text=True)
    assert "openapi.json?lang=ru" in client.get("/api/v1/docs").get_data(as_text=True)
    person = make.user()
    with client.application.app_context():
        db.session.get(User, person.id).locale = "en"
        db.session.commit()
    login(person.email)
    page = client.get("/api/v1/docs", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "openapi.json?lang=en" in page  # the signed-in person's UI language wins
