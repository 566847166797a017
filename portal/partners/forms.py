from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.auth.models import AUDIENCE_SHORT_LABELS, AUDIENCES, ROLE_LABELS, ROLES
from portal.core.inn import is_valid_inn

REQUIRED = _l("This field is required.")


class InnMixin:
    def validate_inn(self, field):
        if not is_valid_inn(field.data):
            raise ValidationError(_l("Enter a valid INN: 10 or 12 digits with a correct check digit."))


class InviteForm(FlaskForm):
    email = EmailField(_l("Colleague's email"), validators=[DataRequired(REQUIRED), Length(max=254)])


class CompanyForm(InnMixin, FlaskForm):
    inn = StringField(_l("INN"), validators=[DataRequired(REQUIRED)])
    name = StringField(_l("Company name"), validators=[DataRequired(REQUIRED), Length(max=200)])
    region = StringField(_l("Region"), validators=[DataRequired(REQUIRED), Length(max=120)])
    region_en = StringField(_l("Region in English"), validators=[Optional(), Length(max=120)],
                            description=_l("Optional: names the region in English for every company in it."))


class RejectCompanyForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(REQUIRED), Length(max=500)])


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [SelectChoice(role, ROLE_LABELS[role]) for role in ROLES]


class AudienceForm(FlaskForm):
    """A person's audience from tomorrow. Any value reaches the service, which answers a wrong one with its message."""

    audience = SelectField(_l("Audience"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.audience.choices = [SelectChoice(key, AUDIENCE_SHORT_LABELS[key]) for key in AUDIENCES]


class MoveForm(InnMixin, FlaskForm):
    inn = StringField(_l("INN of the new company"), validators=[DataRequired(REQUIRED)])

