from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from portal.core.fields import IntegerField, LocalDateField
from portal.products.forms import MoneyField

REQUIRED = _l("This field is required.")
MONTHS = [SelectChoice(str(m), str(m)) for m in range(1, 13)]


class BudgetField(MoneyField):
    """The shared rouble field (12 345,50), saying what is wrong with a negative fund."""

    def pre_validate(self, form):
        if (self.data or "").strip().startswith("-"):
            raise ValidationError(_l("The prize fund cannot be negative."))
        super().pre_validate(form)


class StageForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=60)])
    starts_on = LocalDateField(_l("First day"), validators=[DataRequired(_l("Enter a date."))])
    ends_on = LocalDateField(_l("Last day"), validators=[DataRequired(_l("Enter a date."))])
    budget = BudgetField(_l("Prize fund, RUB"), validators=[Optional()])


class MonthsForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[
        DataRequired(REQUIRED), NumberRange(2000, 2100, message=_l("Choose a year from 2000 to 2100."))])
    first_month = SelectField(_l("From month"), choices=MONTHS, default="4")
    last_month = SelectField(_l("To month"), choices=MONTHS, default="12")


class RecalculateForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(_l("Give the reason for the recalculation.")),
                                                   Length(max=500)])


class ImportPlanForm(FlaskForm):
    file = FileField(_l("XLSX or CSV file"), validators=[FileRequired(_l("Choose a file."))],
                     description=_l("The plan table's layout: a KPI column, a whole-period column and a column per "
                                    "stage (its name, e.g. «April 2026», 2026-04, or a month: «Apr», «June»). "
                                    "Shares' whole-period targets in percent (60%), their months in people. An "
                                    "optional first column «Company» (INN or name) makes the row a company's "
                                    "plan. CSV with ; or , (UTF-8 or Windows-1251), or XLSX."))


class SubscriptionsForm(FlaskForm):
    daily = BooleanField(_l("Daily report"))
    weekly = BooleanField(_l("Weekly report"))
    monthly = BooleanField(_l("Monthly report"))


class ConfirmPlanImportForm(FlaskForm):
    token = HiddenField()
