"""Idempotency-Key on POSTs: the first request with a key runs, repeats get its response back.

The row for (API key, Idempotency-Key) is inserted and committed before the work starts, so the database's
unique constraint picks exactly one winner among parallel requests. The work and the stored response are
committed together at the end of the request.
"""

import hashlib
import json
from datetime import timedelta

from flask import Response, g, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, OperationalError

from portal.core.json_body import InvalidJSON, parse_json
from portal.core.time import utcnow
from portal.extensions import db

from .errors import problem
from .models import DONE, RUNNING, ApiKey, IdempotentRequest

HEADER = "Idempotency-Key"
ABANDONED_AFTER = timedelta(minutes=5)  # a "running" row this old belongs to a request that died
KEPT_FOR = timedelta(days=7)  # how long a repeat with the same Idempotency-Key gets the first response back


def request_hash() -> str:
    """The request's method, path and body; a JSON body is compared by its content, not its spacing, and an
    upload by its fields and files (a client's retry picks a new multipart boundary)."""
    if request.mimetype == "multipart/form-data":
        parts = sorted(request.form.items(multi=True))
        for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
            content = upload.stream.read()
            upload.stream.seek(0)
            parts.append((name, f"{upload.filename}:{hashlib.sha256(content).hexdigest()}"))
        body = json.dumps(parts, ensure_ascii=False).encode()
    else:
        body = request.get_data(cache=True)
    if request.is_json:
        try:
            body = json.dumps(parse_json(body), sort_keys=True, ensure_ascii=False).encode()
        except (InvalidJSON, RecursionError):
            pass  # hashed as sent; reading the body then answers 400
    digest = hashlib.sha256(f"{request.method} {request.full_path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def begin(key: ApiKey) -> Response | None:
    """Claim the idempotency key for this request, or answer from the earlier one. None: go ahead."""
    token = request.headers.get(HEADER)
    if request.method != "POST" or token is None:
        return None
    token = token.strip()
    if not token or len(token) > 255:
        return problem(422, errors={HEADER: [str(_l("From 1 to 255 characters."))]})
    fingerprint = request_hash()
    for _attempt in range(2):
        record = IdempotentRequest(api_key_id=key.id, key=token, request_hash=fingerprint, status=RUNNING)
        db.session.add(record)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
        else:
            g.idempotent_request_id = record.id
            return None
        earlier = db.session.scalar(select(IdempotentRequest).where(
            IdempotentRequest.api_key_id == key.id, IdempotentRequest.key == token))
        if earlier is None:
            continue  # it was released meanwhile: try again
        if earlier.request_hash != fingerprint:
            return problem(422, _l("This Idempotency-Key was used with another request. Use a new key for a new "
                                   "request."), errors={HEADER: [str(_l("Already used with another request."))]})
        if earlier.status == DONE:
            replay = Response(earlier.response_body, status=earlier.response_status, mimetype="application/json")
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        if earlier.created_at < utcnow() - ABANDONED_AFTER:
            _release(earlier.id)
            continue
        return problem(409, _l("The first request with this Idempotency-Key is still running. Try again in a moment."))
    return problem(409)


def _release(record_id: int) -> None:
    db.session.execute(delete(IdempotentRequest).where(IdempotentRequest.id == record_id,
                                                       IdempotentRequest.status == RUNNING))
    db.session.commit()


def finish(response: Response) -> Response:
    """Commit the request's work with its stored response; on an error, keep nothing and free the key."""
    record_id = g.pop("idempotent_request_id", None)
    if response.status_code >= 400:
        db.session.rollback()
        if record_id is not None:
            _release(record_id)
        return response
    if record_id is not None:
        record = db.session.get(IdempotentRequest, record_id)
        record.status = DONE
        record.response_status = response.status_code
        record.response_body = response.get_data(as_text=True)
        record.completed_at = utcnow()
    try:
        db.session.commit()
    except (IntegrityError, OperationalError):
        # Two requests created the same document at once (or the database stayed locked): this one saved
        # nothing, and a retry gets the winner's claim.
        db.session.rollback()
        if record_id is not None:
            _release(record_id)
        return problem(409)
    return response


def forget_old_requests(now) -> int:
    """The scheduled clean-up: Idempotency-Keys older than a week may be used again. Commits."""
    result = db.session.execute(delete(IdempotentRequest).where(IdempotentRequest.created_at < now - KEPT_FOR))
    db.session.commit()
    return result.rowcount or 0
