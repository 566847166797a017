"""Security headers on every kind of response, and templates that need no inline script."""

import re
from pathlib import Path

import pytest

from portal.auth.models import MANAGER

PORTAL = Path(__file__).resolve().parents[2] / "portal"


def policy(response) -> dict[str, str]:
    directives = [d.strip() for d in response.headers["Content-Security-Policy"].split(";") if d.strip()]
    return {d.split(" ", 1)[0]: (d.split(" ", 1) + [""])[1] for d in directives}


def assert_common(response):
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    csp = policy(response)
    assert "unsafe-inline" not in csp.get("script-src", csp.get("default-src", ""))
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    return csp


def assert_page_policy(response):
    csp = assert_common(response)
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert csp["script-src"].split()[0] == "'self'" and csp["default-src"] == "'self'"
    return csp


def test_a_visitor_page(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert_page_policy(response)
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert "Strict-Transport-Security" not in response.headers  # cookies are not secure in tests


def test_a_signed_in_page_is_never_stored(client, login, make):
    make.user(email="seller@example.test")
    login("seller@example.test")
    response = client.get("/claims")
    assert response.status_code == 200
    assert_page_policy(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_json_and_error_responses(client, login, make):
    make.user(role=MANAGER, email="manager@example.test")
    login("manager@example.test")
    json_response = client.get("/products/search?q=x")
    assert json_response.status_code == 200 and json_response.is_json
    assert_page_policy(json_response)
    assert json_response.headers["Cache-Control"] == "no-store"
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    assert_page_policy(missing)


def test_api_responses(client):
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 200
    assert_page_policy(document)
    refused = client.get("/api/v1/claims")
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    assert_page_policy(refused)


def test_a_static_file_stays_cacheable(client, login, make):
    make.user(email="seller@example.test")
    login("seller@example.test")
    response = client.get("/static/js/page.js")
    assert response.status_code == 200
    assert_common(response)
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()


def test_stripe_js_and_its_frames_are_allowed(app, make_app):
    served = make_app(STRIPE_JS_URL="https://js.stripe.com/v3/")
    with served.test_client() as client:
        csp = policy(client.get("/login"))
    assert csp["script-src"] == "'self' https://js.stripe.com"
    assert set(csp["frame-src"].split()) == {"https://js.stripe.com", "https://hooks.stripe.com"}
    assert "https://api.stripe.com" in csp["connect-src"]
    local = make_app(STRIPE_JS_URL="http://127.0.0.1:8420/js.stripe.com/v3/")
    with local.test_client() as client:
        csp = policy(client.get("/login"))
    assert csp["script-src"] == "'self' http://127.0.0.1:8420" and csp["frame-src"] == "http://127.0.0.1:8420"


def test_hsts_when_cookies_are_secure(app, make_app):
    served = make_app(SESSION_COOKIE_SECURE=True)
    with served.test_client() as client:
        response = client.get("/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=|javascript:", re.I)


@pytest.mark.parametrize("template", sorted(PORTAL.rglob("*.html")), ids=lambda p: str(p.relative_to(PORTAL)))
def test_no_template_carries_inline_script(template):
    text = template.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(text), "move the script to portal/static/js/ (the CSP refuses inline script)"
    assert not INLINE_HANDLER.search(text), "use a data- attribute handled in portal/static/js/page.js"
