"""Configuration read from the environment, with safe defaults for a local demo."""

import os
from datetime import timedelta
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Values that only a development machine may run with: in production (see PORTAL_ENV) the app refuses to start.
# The placeholders of deploy/portal.env.example count as development values too.
DEVELOPMENT_SECRETS = {
    "SECRET_KEY": {"dev-only-change-me", "change-me", "test-secret", "CHANGE-ME-a-long-random-string"},
    "STRIPE_SECRET_KEY": {"sk_test_local", "sk_live_CHANGE-ME"},
    "STRIPE_WEBHOOK_SECRET": {"whsec_local", "whsec_CHANGE-ME"},
}


class Config:
    # "development" for a local demo (make run sets it); anything else, or unset, is production.
    PORTAL_ENV = os.environ.get("PORTAL_ENV", "production").strip().lower()
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-change-me")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'portal.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}

    # Cookies: HttpOnly always; Secure when served over HTTPS (set SESSION_COOKIE_SECURE=1 in production).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024

    WTF_CSRF_TIME_LIMIT = 8 * 3600

    BABEL_DEFAULT_LOCALE = "ru"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("PORTAL_TIMEZONE", "Europe/Moscow")
    LANGUAGES = ("ru", "en")

    BOOTSTRAP_SERVE_LOCAL = True

    # Mail: with MAIL_SERVER set, mail goes over SMTP; otherwise it is printed to the log (the demo works offline).
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Partner Club <noreply@portal.test>")
    # Where participants write to the program team (extra quiz attempts, questions about orders).
    SUPPORT_EMAIL = os.environ.get("SUPPORT_EMAIL", "support@portal.test")
    MAIL_OUTBOX_DIR = os.environ.get("MAIL_OUTBOX_DIR", "")
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", "10"))
    # The outbox retries a failed delivery after 30 s, 1, 2, 4 ... minutes (at most 6 h), then gives up.
    MAIL_RETRY_BASE_SECONDS = int(os.environ.get("MAIL_RETRY_BASE_SECONDS", "30"))
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "10"))

    # The worker's queue: a SQLite file in instance/ unless REDIS_URL is set (see portal/worker.py).
    REDIS_URL = os.environ.get("REDIS_URL", "")
    # The portal's public address: links in mail written outside a request (by scheduled jobs) point here.
    PORTAL_URL = os.environ.get("PORTAL_URL", "http://127.0.0.1:5000")
    WORKER_STALE_AFTER = timedelta(seconds=int(os.environ.get("WORKER_STALE_AFTER_SECONDS", "180")))
    # Exports longer than this many rows are written by the worker, with a progress page.
    EXPORT_BACKGROUND_ROWS = int(os.environ.get("EXPORT_BACKGROUND_ROWS", "5000"))
    EXPORT_KEEP_FOR = timedelta(days=1)
    # Recruitment campaigns: invitations and reminders together, at most this many mails an hour (mail providers
    # block a sender that suddenly writes thousands of strangers), and reminders so many days after the invitation.
    RECRUITMENT_MAILS_PER_HOUR = int(os.environ.get("RECRUITMENT_MAILS_PER_HOUR", "200"))
    RECRUITMENT_REMINDER_DAYS = tuple(int(d) for d in os.environ.get("RECRUITMENT_REMINDER_DAYS", "3,7").split(",")
                                      if d.strip())[:2]

    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    # Every gunicorn process and machine must see the same counters: Redis when configured, else the portal's own
    # database (database://, portal/ops/ratelimits.py). memory:// counts per process: never with several workers.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL") or "database://"
    RATELIMIT_HEADERS_ENABLED = True
    # Failed sign-ins are throttled per account *and* address: after the limit, that address waits before it
    # may try that account again; the owner elsewhere is not affected. A looser cap counts all failures
    # from one address (behind a proxy, set PROXY_FIX_X_FOR so that the address is the client's).
    LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS", "5 per 10 minutes")
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "100 per 10 minutes")
    # The registration form's company lookup, per address: enough for typing an INN, not for reading the list.
    COMPANY_LOOKUP_LIMIT = os.environ.get("COMPANY_LOOKUP_LIMIT", "20 per minute; 100 per hour")
    # How many proxies in front of the app to trust for X-Forwarded-For / -Proto / -Host (Werkzeug ProxyFix).
    # 0 (the default): those headers are ignored and the address is the connection's.
    PROXY_FIX_X_FOR = int(os.environ.get("PROXY_FIX_X_FOR", "0") or 0)
    PROXY_FIX_X_PROTO = int(os.environ.get("PROXY_FIX_X_PROTO", "0") or 0)
    PROXY_FIX_X_HOST = int(os.environ.get("PROXY_FIX_X_HOST", "0") or 0)

    # Two-factor sign-in: program managers and administrators without it are sent to set it up.
    MFA_REQUIRED_FOR_STAFF = _bool("MFA_REQUIRED_FOR_STAFF", False)
    MFA_ISSUER = os.environ.get("MFA_ISSUER", "") or os.environ.get("PROGRAM_NAME", "Partner Club")
    # Changing roles, program settings or a person's points asks for the password (or a code) again when the
    # last one was entered longer ago than this.
    REAUTH_MAX_AGE = timedelta(minutes=int(os.environ.get("REAUTH_MAX_AGE_MINUTES", "15")))

    # The demo and the tests use addresses under the reserved .test domain; turn off in production.
    EMAIL_ALLOW_TEST_DOMAINS = _bool("EMAIL_ALLOW_TEST_DOMAINS", True)
    EMAIL_CONFIRM_MAX_AGE = timedelta(days=3)
    PASSWORD_RESET_MAX_AGE = timedelta(hours=2)
    INVITATION_VALID_FOR = timedelta(days=14)

    # Versions of the documents a participant consents to at registration.
    RULES_VERSION = os.environ.get("RULES_VERSION", "2026-01")
    PRIVACY_POLICY_VERSION = os.environ.get("PRIVACY_POLICY_VERSION", "2026-01")

    PROGRAM_NAME = os.environ.get("PROGRAM_NAME", "Partner Club")

    # Uploaded files (invoice scans) live outside the static folder and are served only after a check.
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    SCAN_MAX_BYTES = 10 * 1024 * 1024

    # Stripe. STRIPE_API_BASE and STRIPE_JS_URL point at the local emulator in tests and the offline demo.
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "sk_test_local")
    STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "pk_test_local")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "whsec_local")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
    STRIPE_JS_URL = os.environ.get("STRIPE_JS_URL", "https://js.stripe.com/v3/")
