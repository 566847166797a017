"""The shapes the claims and the leads endpoints share (#28), written once: an object the key may see, a
filtered page of a company's objects, a file uploaded to an object, a create that is safe to resend (the
partner's own id), a batch whose items are created one by one, and a decision refused by the object's state."""

from collections.abc import Callable
from dataclasses import dataclass

import marshmallow as ma
from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from portal.core.errors import DomainError
from portal.extensions import db

from .blueprint import current_key, get_or_404, page
from .errors import StateConflict, flatten_errors
from .reference import N_

IDEMPOTENCY = {"parameters": [{
    "in": "header", "name": "Idempotency-Key", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": N_("Repeat a POST safely: the same key with the same body returns the first response."),
}]}
BATCH_RESPONSES = {
    200: N_("Every item succeeded: created (status 201) or already known (status 200)."),
    207: N_("Multi-Status: some items failed; each result has its own status (201, 200, 409 or 422) and errors. "
            "The good items are kept, a failed item leaves nothing behind."),
}


def company_only() -> int:
    """The company of a company key; program-wide keys have nothing to do on the company endpoints."""
    if current_key().company_id is None:
        abort(404)
    return current_key().company_id


def visible(model, object_id: int):
    """An object the key may read: its own company's (company keys) or any (program keys)."""
    obj = get_or_404(model, object_id)
    key = current_key()
    if key.company_id is not None and obj.company_id != key.company_id:
        abort(404)
    return obj


def company_page(query, model, reference_id, args: dict):
    """A page of `model` (newest first) filtered the way the list endpoints allow: the key's company (or the
    chosen one, for program keys), status, and the partner's own id (`reference_id`: its reference's column)."""
    key = current_key()
    reference = reference_id.class_
    company_id = key.company_id if key.company_id is not None else args.get("company_id")
    if company_id:
        query = query.where(model.company_id == company_id)
    if args.get("status"):
        query = query.where(model.status == args["status"])
    if args.get("external_id"):
        query = query.join(reference, reference_id == model.id).where(
            reference.external_id == args["external_id"])
        if key.company_id is not None:
            query = query.where(reference.company_id == key.company_id)
    return page(query, model.id, args)


def read_upload(files: dict, name: str, default_name: str) -> tuple[str, bytes]:
    upload = files[name]
    return upload.filename or default_name, upload.read()


def external_id_of(data: dict) -> str:
    external_id = (data.get("external_id") or "").strip()
    if not external_id:
        raise DomainError(_l("Give your document id."), field="external_id")
    return external_id


def create_status(created: bool) -> int:
    """201 for an object made now, 200 for the one an earlier request made with the same id."""
    return 201 if created else 200


# --- batches ---------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What became of one item of a batch: its HTTP-like status, the object, or the errors per field."""

    index: int
    external_id: str | None
    status: int
    obj: object | None = None
    errors: dict[str, list[str]] | None = None

    @property
    def result(self) -> str:
        return {201: "created", 200: "exists"}.get(self.status, "error")


def create_each(items: list, schema: ma.Schema, create: Callable[[str, dict], tuple[object, bool]],
                before: Callable[[list[str]], None] | None = None) -> list[Outcome]:
    """Validate and create each item on its own, each in a savepoint: a failed item leaves nothing behind and
    the good ones stay for the request to commit. `create(external_id, data)` -> (object, created);
    `before(external_ids)` sees the ids of the valid items first (to look up the known ones at once)."""
    outcomes: dict[int, Outcome] = {}
    valid: list[tuple[int, str, dict]] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(items):
        given = raw.get("external_id") if isinstance(raw, dict) else None
        external_id = given.strip() if isinstance(given, str) else None
        try:
            data = schema.load(raw)
            external_id = external_id_of(data)
            if external_id in seen:
                raise DomainError(_l("The same document id as item %(n)s.", n=seen[external_id]), field="external_id")
        except ma.ValidationError as exc:
            errors = flatten_errors(exc.messages)
            if "_schema" in errors:
                errors["_request"] = errors.pop("_schema")
            outcomes[index] = Outcome(index, external_id, 422, errors=errors)
        except DomainError as exc:
            outcomes[index] = Outcome(index, external_id, 422, errors={exc.field or "_request": [str(exc.message)]})
        else:
            seen[external_id] = index
            valid.append((index, external_id, data))
    if before is not None:
        before([external_id for _index, external_id, _data in valid])
    for index, external_id, data in valid:
        try:
            with db.session.begin_nested():
                obj, created = create(external_id, data)
        except DomainError as exc:
            outcomes[index] = Outcome(index, external_id, 422, errors={exc.field or "_request": [str(exc.message)]})
        except IntegrityError:
            outcomes[index] = Outcome(index, external_id, 409, errors={"external_id": [str(_l(
                "Another request saved this document at the same time. Send the item again."))]})
        else:
            outcomes[index] = Outcome(index, external_id, create_status(created), obj)
    return [outcomes[index] for index in range(len(items))]


def batch_answer(outcomes: list[Outcome], name: str, **extra) -> tuple[dict, int]:
    """The batch's answer: counts and one result per item (the object under `name`); 207 when an item failed."""
    results = [{"index": o.index, "external_id": o.external_id, "status": o.status, "result": o.result,
                "id": getattr(o.obj, "id", None), name: o.obj, "errors": o.errors} for o in outcomes]
    failed = sum(1 for o in outcomes if o.result == "error")
    body = {"created": sum(1 for o in outcomes if o.result == "created"),
            "existing": sum(1 for o in outcomes if o.result == "exists"), "failed": failed, "results": results,
            **extra}
    return body, 207 if failed else 200


# --- decisions -------------------------------------------------------------------------------------


def decide(obj, allowed: tuple[str, ...], action: Callable, actor, conflict: Callable[[object], StateConflict]):
    """Run a review action on an object in one of the `allowed` states; a decided one is a conflict, also when
    another reviewer decided it a moment ago (the service's check-and-set reloads the state)."""
    if obj.status not in allowed:
        raise conflict(obj)
    try:
        action(obj, actor)
    except DomainError:
        if obj.status not in allowed:
            raise conflict(obj) from None
        raise
    return obj
