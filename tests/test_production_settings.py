"""In production (neither TESTING nor PORTAL_ENV=development) the app refuses development secrets."""

import pytest

from portal import InsecureConfiguration, create_app

REAL = {"SECRET_KEY": "a-real-long-random-secret-0123456789", "STRIPE_SECRET_KEY": "sk_live_real",
        "STRIPE_WEBHOOK_SECRET": "whsec_real"}


def _production(**overrides):
    return {"TESTING": False, "PORTAL_ENV": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://", **REAL,
            **overrides}


@pytest.mark.parametrize("name, value", [
    ("SECRET_KEY", "dev-only-change-me"),
    ("SECRET_KEY", ""),
    ("STRIPE_SECRET_KEY", "sk_test_local"),
    ("STRIPE_WEBHOOK_SECRET", "whsec_local"),
    ("SECRET_KEY", "CHANGE-ME-a-long-random-string"),  # the placeholder of deploy/portal.env.example
])
def test_production_refuses_development_secrets(name, value):
    with pytest.raises(InsecureConfiguration, match=name):
        create_app(_production(**{name: value}))


def test_production_starts_with_real_secrets():
    assert create_app(_production()).config["PORTAL_ENV"] == "production"


def test_production_is_the_default(monkeypatch):
    """Nothing said means production: a forgotten setting fails safe."""
    from portal.config import Config

    assert Config.PORTAL_ENV in ("production", "development")  # the environment of this run decides
    with pytest.raises(InsecureConfiguration):
        create_app({"TESTING": False, "PORTAL_ENV": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_development_and_tests_may_use_the_defaults():
    create_app({"TESTING": False, "PORTAL_ENV": "development", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "SECRET_KEY": "dev-only-change-me", "STRIPE_WEBHOOK_SECRET": "whsec_local"})
    create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "dev-only-change-me"})
