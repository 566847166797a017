"""What a browser's Stripe.js and Stripe's webhooks do, for tests without a browser."""

import hashlib
import hmac
import json
import time
import urllib.request

# "declined": refused when the card is attached; "charge_fail": attached, then its charge is declined (Stripe's
# pm_card_chargeCustomerFail), which answers twice: the error now and a payment_intent.payment_failed event.
CARDS = {"visa": "4242424242424242", "declined": "4000000000000002", "3ds": "4000000000003220",
         "charge_fail": "4000000000000341"}


def card_token(emulator: str, card: str = "visa") -> str:
    """Tokenise a test card the way Stripe.js does in the browser."""
    body = json.dumps({"key": "pk_test_local", "card": {"number": CARDS[card], "exp_month": "12", "exp_year": "2030",
                                                         "cvc": "123"}}).encode()
    request = urllib.request.Request(f"{emulator}/v1/tokens", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)["id"]


def signed_event(event_type: str, intent_id: str, secret: str = "whsec_local", event_id: str | None = None,
                 timestamp: int | None = None):
    """A webhook body and its Stripe-Signature header, signed as Stripe signs them."""
    payload = json.dumps({"id": event_id or f"evt_{intent_id}_{event_type}", "object": "event", "type": event_type,
                          "data": {"object": {"id": intent_id, "object": "payment_intent"}}})
    stamp = timestamp or int(time.time())
    signature = hmac.new(secret.encode(), f"{stamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return payload, f"t={stamp},v1={signature}"
