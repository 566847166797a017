"""Throttling failed sign-ins by account and address together, so an attacker cannot lock the owner out.

Failures are counted per (account, client address): past LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS, that address
is told to wait before it may try that account again, while the owner signing in from anywhere else is not
affected. A looser LOGIN_LIMIT_PER_ADDRESS caps the failures one address may make across all accounts
(password spraying). Counters live in the rate-limit storage (Redis when configured, else the portal's
database: portal/ops/ratelimits.py), so every gunicorn worker and machine sees the same ones. The client
address is the connection's unless PROXY_FIX_X_FOR says how many proxies to trust.
"""

import math
import time

from flask import current_app
from limits import parse

from portal.extensions import limiter


def _limits(account: str, address: str):
    config = current_app.config
    return (
        (parse(config["LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS"]), ("login-failures", account, address)),
        (parse(config["LOGIN_LIMIT_PER_ADDRESS"]), ("login-failures-address", address)),
    )


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def wait_seconds(account: str, address: str | None) -> int:
    """How long this address must wait before trying this account again (0: it may try now)."""
    if not _enabled():
        return 0
    wait = 0
    for rate, keys in _limits(account, address or "-"):
        if not limiter.limiter.test(rate, *keys):
            reset_at, _remaining = limiter.limiter.get_window_stats(rate, *keys)
            wait = max(wait, math.ceil(reset_at - time.time()), 1)
    return wait


def count_failure(account: str, address: str | None) -> None:
    if _enabled():
        for rate, keys in _limits(account, address or "-"):
            limiter.limiter.hit(rate, *keys)


def forget_failures(account: str, address: str | None) -> None:
    """A successful sign-in from this address starts its count for this account afresh."""
    if _enabled():
        rate, keys = _limits(account, address or "-")[0]
        limiter.limiter.clear(rate, *keys)
