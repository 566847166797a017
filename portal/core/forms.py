"""Helpers shared by forms: putting a service's error back on the form it came from."""

from flask import flash

from portal.core.errors import DomainError


def show_error(form, error: DomainError) -> None:
    """Show the error next to its field when the form has it, otherwise above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        # WTForms may hold errors as a tuple before validation ran.
        field.errors = [*field.errors, str(error.message)]
    else:
        flash(str(error.message), "danger")
