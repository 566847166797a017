from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from portal.audit.services import ACTION_LABELS, OBJECT_LABELS, SECURITY_ACTIONS
from portal.core.fields import LocalDateField


class AuditFilterForm(FlaskForm):
    """The viewer's filters, read from the query string."""

    class Meta:
        csrf = False

    actor = StringField(_l("Who"), validators=[Optional(), Length(max=254)])
    action = SelectField(_l("Action"), validators=[Optional()])
    object_type = SelectField(_l("Object type"), validators=[Optional()])
    object_id = StringField(_l("Object number"), validators=[Optional(), Length(max=64)])
    object_name = StringField(_l("Object name"), validators=[Optional(), Length(max=200)])
    date_from = LocalDateField(_l("From"), validators=[Optional()])
    date_to = LocalDateField(_l("To"), validators=[Optional()])

    def __init__(self, *args, program_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.program_only = program_only
        self.action.choices = [SelectChoice("", _l("All actions"))] + [
            SelectChoice(code, label) for code, label in ACTION_LABELS.items()
            if not (program_only and code in SECURITY_ACTIONS)
        ]
        # Objects by their names in the reader's language ("заявка"), filtered by the stored code ("claim").
        self.object_type.choices = [SelectChoice("", _l("Any"))] + sorted(
            (SelectChoice(code, str(label)) for code, label in OBJECT_LABELS.items()), key=lambda c: c.label)

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end of the period is before its start."))

    def filters(self) -> dict:
        """Only the filters that passed validation; junk in one of them is ignored, never an error page."""
        valid = self.validate()

        def value(name):
            field = getattr(self, name)
            return field.data if not field.errors and field.data else None

        return {
            "actor": (value("actor") or "").replace("\x00", ""),
            "action": value("action") if self.action.data in ACTION_LABELS
            and not (self.program_only and self.action.data in SECURITY_ACTIONS) else "",
            "object_type": value("object_type") if self.object_type.data in OBJECT_LABELS else "",
            "object_id": (value("object_id") or "").replace("\x00", ""),
            "object_name": (value("object_name") or "").replace("\x00", "").strip(),
            "date_from": value("date_from"),
            "date_to": value("date_to") if valid or not self.date_to.errors else None,
        }
