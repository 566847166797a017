from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from portal.core.fields import IntegerField, LocalDateField, finite_decimal
from portal.ledger.models import TRANSACTION_KIND_LABELS

REQUIRED = _l("This field is required.")


class StatementFilterForm(FlaskForm):
    """The statement's filters, read from the query string."""

    class Meta:
        csrf = False

    date_from = LocalDateField(_l("From"), validators=[Optional()])
    date_to = LocalDateField(_l("To"), validators=[Optional()])
    kind = SelectField(_l("Operation"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice("", _l("All operations"))] + [
            SelectChoice(kind, label) for kind, label in TRANSACTION_KIND_LABELS.items()
        ]

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end of the period is before its start."))


class AdjustmentForm(FlaskForm):
    direction = RadioField(
        _l("Operation"), validators=[DataRequired(REQUIRED)],
        choices=[SelectChoice("credit", _l("Credit points")), SelectChoice("debit", _l("Debit points"))],
        default="credit",
    )
    points = IntegerField(
        _l("Points"), validators=[DataRequired(REQUIRED), NumberRange(min=1, max=10_000_000,
                                                                       message=_l("From 1 to 10,000,000 points."))],
    )
    reason = StringField(
        _l("Reason"), validators=[DataRequired(REQUIRED), Length(max=500)],
        description=_l("The participant sees it in the statement."),
    )
    # One id per opened form: resubmitting the same form (a double click, a reload) posts once.
    request_id = HiddenField()


class SettingsForm(FlaskForm):
    point_value = StringField(
        _l("Value of one point, RUB"), validators=[DataRequired(REQUIRED)],
        description=_l("What the program pays for one point: prizes and the liability are valued with it."),
    )
    points_expire_months = IntegerField(
        _l("Points expire after, months"), validators=[Optional(), NumberRange(min=1, max=120)],
        description=_l("Leave empty if points never expire."),
    )
    claim_window_days = IntegerField(
        _l("Sales can be claimed within, days"), validators=[DataRequired(REQUIRED), NumberRange(min=1, max=366)],
        description=_l("Counted from the invoice date."),
    )
    first_sale_bonus = IntegerField(_l("Bonus for the first approved sale, points"),
                                    validators=[Optional(), NumberRange(min=0, max=1_000_000)])
    copay_enabled = BooleanField(_l("Participants may pay the rest by card when points fall short"))
    copay_max_share_percent = IntegerField(
        _l("Largest share of an order payable by card, %"), validators=[Optional(), NumberRange(min=0, max=100)])
    payment_timeout_minutes = IntegerField(
        _l("Unpaid card orders are cancelled after, minutes"), validators=[Optional(), NumberRange(min=5, max=1440)])
    tax_rate_percent = IntegerField(_l("Prize tax rate, %"), validators=[Optional(), NumberRange(min=0, max=100)])
    tax_details_required = BooleanField(_l("Ask for tax details before an order passes the yearly threshold"))
    birthday_bonus = IntegerField(
        _l("Birthday bonus, points"), validators=[Optional(), NumberRange(min=0, max=1_000_000)],
        description=_l("0 or empty turns a bonus off."),
    )

    def validate_point_value(self, field):
        from decimal import Decimal

        try:
            value = finite_decimal(field.data or "")
        except ValueError as exc:
            raise ValidationError(_l("Enter an amount in roubles, for example 1,00.")) from exc
        if value <= 0 or value != value.quantize(Decimal("0.01")):
            raise ValidationError(_l("Enter a positive amount with at most two decimals (kopecks)."))
        field.kopecks = int(value * 100)
