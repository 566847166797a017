from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget


class KeyForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("This field is required.")), Length(max=100)],
                       description=_l("The system that will use the key, e.g. 1C Trade."))
    preset = RadioField(_l("Ready-made sets"), default="", validate_choice=False,
                        description=_l("A set ticks the permissions a typical system needs; change them if you "
                                       "like."))
    scopes = SelectMultipleField(_l("Permissions"), widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput(), validate_choice=False)

    def chosen_scopes(self, presets: dict) -> list[str]:
        """The ticked permissions, with those of the chosen set (the page works without its script too)."""
        chosen = list(self.scopes.data or [])
        _label, preset_scopes = presets.get(self.preset.data, (None, ()))
        for scope in preset_scopes:
            if scope not in chosen:
                chosen.append(scope)
        return chosen


class RevokeForm(FlaskForm):
    pass


class SalesImportForm(FlaskForm):
    company = SelectField(_l("Partner company"), coerce=int, validate_choice=False)
    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired(_l("Choose a file."))],
                     description=_l("One row per invoice line, as exported from 1C."))


class ConfirmSalesImportForm(FlaskForm):
    token = HiddenField()
    plan = HiddenField()
