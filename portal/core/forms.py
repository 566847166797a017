"""Helpers shared by forms: the empty form of post buttons, putting a service's error back on its form."""

from flask import flash
from flask_wtf import FlaskForm

from portal.core.errors import DomainError


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that post."""


def show_error(form, error: DomainError) -> None:
    """Show the error next to its field when the form has it, otherwise above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        # WTForms may hold errors as a tuple before validation ran.
        field.errors = [*field.errors, str(error.message)]
    else:
        flash(str(error.message), "danger")
