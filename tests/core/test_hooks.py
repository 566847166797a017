"""Hooks: how the ground floor calls what a higher floor provides, connected when the app starts."""

import pytest

from portal import worker
from portal.auth import delivery
from portal.core import exports, mail
from portal.core.hooks import Hook
from portal.ops import exports as export_jobs
from portal.ops import outbox


def test_a_hook_calls_what_is_connected_and_says_when_nothing_is():
    hook = Hook("the test's hook")
    with pytest.raises(RuntimeError, match="Nothing is connected to the test's hook"):
        hook(1)
    hook.connect(lambda n, *, times: n * times)
    assert hook.connected and hook(2, times=3) == 6


def test_the_app_connects_the_outbox_the_delivery_rule_and_the_worker(app):
    assert mail.outbox.provider is outbox.queue_message
    assert outbox.recipient_refusal.provider is delivery.mail_refusal
    assert outbox.hand_mail_to_worker.provider is worker.enqueue_mail_delivery
    assert exports.start_background_export.provider is export_jobs.start_export
    assert exports.hand_export_to_worker.provider is worker.enqueue_export
