"""Security headers on every response: one after-request hook (see README, "Security headers").

Why a hook rather than Flask-Talisman: the policy needs one per-response twist (uploaded files get a
sandboxing policy of their own, set where they are served) and one per-config value (the Stripe.js host,
which is the local emulator in tests and the demo); Talisman would also redirect to HTTPS and rewrite
cookie flags, which config.py already owns. Forty lines we can read beat an extension we must configure
around.
"""

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request
from flask_login import current_user

# What a file we serve from the uploads may do when opened on its own: nothing.
FILE_POLICY = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"

REAL_STRIPE_ORIGIN = "https://js.stripe.com"


def _origin(url: str) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def content_security_policy(config) -> str:
    """The page policy: scripts only from our own static files and Stripe.js, never inline.

    Styles allow 'unsafe-inline': progress bars and table widths use style="" with computed values, and
    Stripe Elements sets inline styles; injected styles cannot run code, injected scripts could."""
    stripe = _origin(config.get("STRIPE_JS_URL", ""))
    stripe_frames = [stripe] if stripe else []
    stripe_connect = [stripe] if stripe else []
    if stripe == REAL_STRIPE_ORIGIN:
        stripe_frames.append("https://hooks.stripe.com")  # 3-D Secure challenges
        stripe_connect.append("https://api.stripe.com")
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *stripe_frames[:1]],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", *stripe_frames[:1]],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", *stripe_connect],
        "frame-src": stripe_frames or ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(current_app.config))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    # A signed-in page must not be kept by the browser or a proxy: the back button after logout on a shared
    # computer would show it. Static files stay cacheable; a view that chose a lifetime (prize photos) keeps
    # it, but private.
    if not _is_static() and _signed_in():
        headers["Cache-Control"] = _private(headers.get("Cache-Control", ""))
    return response


def _is_static() -> bool:
    endpoint = request.endpoint or ""
    return endpoint == "static" or endpoint.endswith(".static")  # ours, Bootstrap's


def _signed_in() -> bool:
    try:
        return bool(current_user and current_user.is_authenticated)
    except Exception:  # noqa: BLE001 - a broken session must not turn the error page into a 500
        return False


def _private(value: str) -> str:
    parts = [p.strip() for p in value.split(",") if p.strip() and p.strip() != "public"]
    lifetime = next((p for p in parts if p.startswith("max-age=") and p != "max-age=0"), None)
    if lifetime is None or "no-store" in parts:
        return "no-store"
    return ", ".join(["private", *[p for p in parts if p != "private"]])


def init_headers(app: Flask) -> None:
    app.after_request(set_security_headers)
