from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, FormField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.auth.models import AUDIENCE_SHORT_LABELS
from portal.core.fields import DecimalField, IntegerField, LocalDateField
from portal.core.pickers import PickerField
from portal.rules.models import CAP_PERIOD_LABELS, KIND_LABELS
from portal.rules.pickers import describe_companies, describe_products, resolve_companies, resolve_products

REQUIRED = _l("This field is required.")


def audience_choices(any_label):
    return [SelectChoice("", any_label)] + [SelectChoice(k, v) for k, v in AUDIENCE_SHORT_LABELS.items()]


class RuleForm(FlaskForm):
    name = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=200)])
    name_en = StringField(_l("Title in English"), validators=[Optional(), Length(max=200)],
                          description=_l("Optional: English readers see the Russian title when empty."))
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()])
    value = DecimalField(
        _l("Value"), places=None, validators=[DataRequired(REQUIRED)],
        description=_l(
            "Points per unit; a percent for percentage rules; points for a fixed rule; a factor for a multiplier."
        ),
    )
    product_ids = PickerField(_l("Products"), resolve=resolve_products, describe=describe_products,
                              description=_l("None chosen: any product. Search by SKU or name, or paste SKUs, "
                                             "one per line."))
    categories = SelectMultipleField(_l("Categories"), validate_choice=False,
                                     description=_l("A line counts when its product or its category is chosen."))
    company_ids = PickerField(_l("Partner companies"), resolve=resolve_companies, describe=describe_companies,
                              description=_l("None chosen: every company. Search by name or INN, or paste INNs, "
                                             "one per line."))
    group_ids = SelectMultipleField(_l("Partner groups"), coerce=int, validate_choice=False,
                                    description=_l("None chosen: any group. Otherwise the claim's company must be "
                                                   "in one of them on the invoice date."))
    audience = SelectField(_l("Audience"))
    valid_from = LocalDateField(_l("Valid from"), validators=[Optional()])
    valid_to = LocalDateField(_l("Valid to"), validators=[Optional()], description=_l("By the invoice date."))
    priority = IntegerField(
        _l("Priority"), default=100, validators=[DataRequired(REQUIRED), NumberRange(0, 1000)],
        description=_l("Higher first. Of exclusive rules matching a line, only the highest counts."),
    )
    stackable = BooleanField(_l("Adds up with other rules"), default=True)
    cap_per_claim = IntegerField(_l("Cap per claim, points"), validators=[Optional(), NumberRange(min=1)])
    cap_per_period = IntegerField(_l("Cap per participant, points"), validators=[Optional(), NumberRange(min=1)])
    cap_period = SelectField(_l("Cap period"), choices=[SelectChoice(k, v) for k, v in CAP_PERIOD_LABELS.items()])
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args, categories=(), groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.categories.choices = [SelectChoice(c, c) for c in categories]
        self.group_ids.choices = [SelectChoice(g.id, g.name) for g in groups]
        self.audience.choices = audience_choices(lazy_pgettext("feminine", "Any"))


class SampleLineForm(FlaskForm):
    class Meta:
        csrf = False

    sku = StringField(_l("SKU"))
    quantity = IntegerField(_l("Quantity"), validators=[Optional(), NumberRange(min=1)])
    price = StringField(_l("Price, RUB"))


class PreviewForm(FlaskForm):
    class Meta:
        csrf = False

    audience = SelectField(_l("Audience"))
    invoice_date = LocalDateField(_l("Invoice date"), validators=[Optional()])
    lines = FieldList(FormField(SampleLineForm), min_entries=3, max_entries=10)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.audience.choices = audience_choices(_l("Manager"))[1:]
