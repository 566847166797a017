"""Run the local Stripe emulator (localstripe) on loopback, in memory: for tests and the offline demo.

    python -m portal.payments.emulator --port 8420

Its own command binds every interface and writes a pickle to /tmp on each change; this launcher keeps it
on 127.0.0.1 and in memory. Never used in production, where the real Stripe API is called.
"""

import argparse
import logging


def accept_card_numbers_as_printed(resources) -> None:
    """Stripe's card field takes "4242 4242 4242 4242" as printed on the card; the emulator's stand-in
    refuses anything but 16 bare digits with an English "Bad request". Make it behave like Stripe."""
    original = resources.Card.__init__

    def init(self, source=None, **kwargs):
        if isinstance(source, dict) and isinstance(source.get("number"), str):
            source = {**source, "number": "".join(ch for ch in source["number"] if ch.isdigit())}
        original(self, source=source, **kwargs)

    resources.Card.__init__ = init


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--webhook", help="the portal's webhook URL, to register at start")
    parser.add_argument("--secret", default="whsec_local", help="the webhook signing secret")
    args = parser.parse_args()

    from aiohttp import web
    from localstripe import resources
    from localstripe.server import app
    from localstripe.webhooks import register_webhook

    resources.Store.dump_to_disk = lambda self: None
    resources.Store.try_load_from_disk = lambda self: None
    accept_card_numbers_as_printed(resources)
    if args.webhook:
        register_webhook("portal", args.webhook, args.secret, None)
    logging.basicConfig(level=logging.WARNING)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
