"""Hooks: a lower floor names a function it needs, a higher floor provides it when the app starts.

The ground and the infrastructure must not import the floors above them (tests/test_architecture.py). When
one needs something only a higher floor can do (the outbox needs the worker's queue, `send_email` needs the
outbox), it declares a Hook and calls it; `create_app` connects the provider once, at start::

    # portal/core/mail.py (ground)
    outbox = Hook("the mail outbox: (to, subject, body, account_mail) -> EmailMessage")

    # portal/ops/__init__.py (infrastructure), called by create_app
    mail.outbox.connect(queue_and_build_mail)
"""

from collections.abc import Callable


class Hook:
    """One function slot: `connect(provider)` at start, then call the hook as you would the provider."""

    def __init__(self, what: str):
        self.what = what
        self.provider: Callable | None = None

    def connect(self, provider: Callable) -> Callable:
        self.provider = provider
        return provider

    @property
    def connected(self) -> bool:
        return self.provider is not None

    def __call__(self, *args, **kwargs):
        if self.provider is None:
            raise RuntimeError(f"Nothing is connected to {self.what}: create_app() connects it at start.")
        return self.provider(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Hook {self.what}: {getattr(self.provider, '__qualname__', None)}>"
