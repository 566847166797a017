from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.core.fields import LocalDateField

REQUIRED = _l("This field is required.")


class GroupForm(FlaskForm):
    name = StringField(_l("Group name"), validators=[DataRequired(REQUIRED), Length(max=120)],
                       description=_l("For example «Дилеры Москвы» or «Интеграторы Gold»."))
    description = TextAreaField(_l("Description"), validators=[Length(max=1000)],
                                description=_l("Who belongs here and why: managers see it next to the name."))


class AddCompanyForm(FlaskForm):
    company = StringField(_l("Company"), validators=[DataRequired(_l("Choose a company.")), Length(max=200)],
                          description=_l("Search by name or INN; without the search, type the INN."))
    since = LocalDateField(_l("Member since"), validators=[Optional()],
                      description=_l("Empty for today. An earlier day (at most a year back) if the company already "
                                     "belonged to the group then: its sales invoiced from that day count for the "
                                     "group. For a company already in the group, moves its start back."))


class AddRegionForm(FlaskForm):
    region = SelectField(_l("Region"), validate_choice=False, validators=[DataRequired(REQUIRED)])


class ImportMembersForm(FlaskForm):
    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired(_l("Choose a file."))],
                     description=_l("One INN per row, in a column headed INN or ИНН (or without a header)."))


class ConfirmImportForm(FlaskForm):
    token = HiddenField()
