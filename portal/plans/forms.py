from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from portal.auth.models import AUDIENCE_SHORT_LABELS
from portal.plans.models import METRIC_LABELS

REQUIRED = _l("This field is required.")


def metric_choices(blank=None):
    choices = [SelectChoice(k, v) for k, v in METRIC_LABELS.items()]
    return [SelectChoice("", blank), *choices] if blank else choices


class PeriodMixin:
    def set_periods(self, periods, selected=None):
        self.period.choices = [SelectChoice(p.key, p.label) for p in periods]
        if selected is not None and not self.period.data:
            self.period.data = selected.key


class PlanForm(PeriodMixin, FlaskForm):
    email = EmailField(_l("Participant's email"), validators=[DataRequired(REQUIRED), Length(max=254)])
    period = SelectField(_l("Period"), validate_choice=False)
    metric = SelectField(_l("Metric"), choices=metric_choices())
    target = StringField(_l("Target"), validators=[DataRequired(REQUIRED), Length(max=30)],
                         description=_l("Roubles for sales amount and margin (150 000 or 150000,50); "
                                        "a whole number for units and approved sales."))


class DefaultForm(PeriodMixin, FlaskForm):
    period = SelectField(_l("Period"), validate_choice=False)
    metric = SelectField(_l("Metric"), choices=metric_choices())
    target = StringField(_l("Target"), validators=[DataRequired(REQUIRED), Length(max=30)],
                         description=_l("Roubles for money metrics, a whole number otherwise."))
    audience = SelectField(_l("Audience"), choices=[SelectChoice("", _l("Everyone"))]
                           + [SelectChoice(k, v) for k, v in AUDIENCE_SHORT_LABELS.items()])
    group = SelectField(_l("Partner group"), validate_choice=False)


class CopyForm(PeriodMixin, FlaskForm):
    period = SelectField(_l("Copy into"), validate_choice=False)
    metric = SelectField(_l("Metric"), choices=metric_choices(_l("Every metric")))


class ImportPlansForm(PeriodMixin, FlaskForm):
    period = SelectField(_l("Period"), validate_choice=False)
    metric = SelectField(_l("Metric when the file has no metric column"), choices=metric_choices(_l("From the file")))
    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired(_l("Choose a file."))],
                     description=_l("Columns: email, metric, target (Russian headers work too: почта, метрика, "
                                    "план). Metric: sales_amount, units, margin or approved_claims. A row with a "
                                    "company's INN (column inn, ИНН) and no email sets the company's plan as a "
                                    "whole."))


class ConfirmImportForm(FlaskForm):
    token = HiddenField()
    period = HiddenField()
    metric = HiddenField()


class CompanyPlanForm(PeriodMixin, FlaskForm):
    inn = StringField(_l("Company INN"), validators=[DataRequired(REQUIRED), Length(max=20)],
                      description=_l("The partner company's INN: 10 or 12 digits."))
    period = SelectField(_l("Period"), validate_choice=False)
    metric = SelectField(_l("Metric"), choices=metric_choices())
    target = StringField(_l("Target"), validators=[DataRequired(REQUIRED), Length(max=30)],
                         description=_l("Roubles for sales amount and margin (1 500 000 or 1500000,50); "
                                        "a whole number for units and approved sales."))
