"""Links stored with notifications: the path inside the portal (the host is the reader's), made with or without a
request (scheduled jobs have none)."""

from flask import current_app, has_request_context, url_for


def link_to(endpoint: str, **values) -> str:
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context(base_url=current_app.config["PORTAL_URL"]):
        return url_for(endpoint, **values)
