"""Entry point for `flask --app wsgi ...` and WSGI servers."""

import gc

from portal import create_app

app = create_app()

# What is loaded by now lives as long as the process. Frozen, it is left out of the garbage collector's full
# collections (about one per request or two), which otherwise walk all of it each time: about 3 ms of CPU per
# people-list request (bench/README.md). Each gunicorn worker imports this module, so each freezes its own.
gc.collect()
gc.freeze()
