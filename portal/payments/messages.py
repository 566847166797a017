"""Our own words for what Stripe.js reports about a card: its error codes, in the reader's language."""

from flask_babel import lazy_gettext as _l

CHECK_CARD = _l("Check the card number, expiry date and CVC code.")

# Stripe's error `code` (or a decline's `decline_code`) -> what we tell the cardholder.
CODES = {
    "incomplete_number": _l("The card number is incomplete."),
    "invalid_number": _l("The card number is not valid: check it digit by digit."),
    "incorrect_number": _l("The card number is not valid: check it digit by digit."),
    "incomplete_expiry": _l("Enter the card's expiry month and year."),
    "invalid_expiry_month": _l("The expiry month is not valid."),
    "invalid_expiry_year": _l("The expiry year is not valid."),
    "invalid_expiry_year_past": _l("The card has expired."),
    "expired_card": _l("The card has expired."),
    "incomplete_cvc": _l("The CVC code is incomplete: three digits on the back of the card."),
    "invalid_cvc": _l("The CVC code is not valid."),
    "incorrect_cvc": _l("The CVC code is not valid."),
    "incomplete_zip": _l("Enter the postal code."),
    "incorrect_zip": _l("The postal code does not match the card."),
    "card_declined": _l("The bank declined the card. Try another card or ask your bank."),
    "generic_decline": _l("The bank declined the card. Try another card or ask your bank."),
    "insufficient_funds": _l("There is not enough money on the card."),
    "lost_card": _l("The bank declined the card. Try another card or ask your bank."),
    "stolen_card": _l("The bank declined the card. Try another card or ask your bank."),
    "processing_error": _l("The bank could not process the payment. Try again in a minute."),
    "payment_intent_authentication_failure": _l("The bank's confirmation (3-D Secure) did not succeed."),
    "authentication_required": _l("The bank asks you to confirm the payment (3-D Secure)."),
}

# When there is no code we know: by the kind of error.
TYPES = {
    "validation_error": CHECK_CARD,
    "invalid_request_error": CHECK_CARD,
    "card_error": _l("The bank declined the card. Try another card or ask your bank."),
    "api_connection_error": _l("Could not reach the payment service. Check your connection and try again."),
    "rate_limit_error": _l("The payment service is busy. Try again in a minute."),
}


def card_texts() -> dict:
    """Every message the payment page may show, translated now for the page's script."""
    return {
        "codes": {code: str(text) for code, text in CODES.items()},
        "types": {kind: str(text) for kind, text in TYPES.items()},
        "failed": str(_l("The payment did not go through. Check the card details and try again.")),
        "working": str(_l("Paying…")),
        "confirming": str(_l("Payment sent: waiting for the bank’s confirmation…")),
    }
