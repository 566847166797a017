"""Run the local Stripe emulator (localstripe) on loopback, in memory: for tests and the offline demo.

    python -m portal.payments.emulator --port 8420

Its own command binds every interface and writes a pickle to /tmp on each change; this launcher keeps it
on 127.0.0.1 and in memory. Never used in production, where the real Stripe API is called.
"""

import argparse
import logging


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
    if args.webhook:
        register_webhook("portal", args.webhook, args.secret, None)
    logging.basicConfig(level=logging.WARNING)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
