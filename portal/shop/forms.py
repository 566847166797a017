from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.auth.models import AUDIENCE_SHORT_LABELS
from portal.core.fields import IntegerField
from portal.products.forms import MoneyField

REQUIRED = _l("This field is required.")


class CheckoutForm(FlaskForm):
    request_token = HiddenField()
    address = TextAreaField(_l("Delivery address"), validators=[Optional(), Length(max=500)],
                            render_kw={"rows": 2, "placeholder": _l("City, street, house, flat")})
    phone = StringField(_l("Phone for the courier"), validators=[Optional(), Length(max=30)],
                        render_kw={"placeholder": "+7 (999) 999-99-99"})
    email = StringField(_l("Email for electronic certificates"), validators=[Optional(), Length(max=254)])


class TaxForm(FlaskForm):
    personal_inn = StringField(_l("Personal INN"), validators=[DataRequired(REQUIRED)],
                               description=_l("12 digits."))
    passport = StringField(_l("Passport series and number"), validators=[DataRequired(REQUIRED)],
                           render_kw={"placeholder": "4510 123456"})
    registration_address = StringField(_l("Registration address"), validators=[DataRequired(REQUIRED),
                                                                              Length(max=500)])


class PrizeForm(FlaskForm):
    name = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=200)])
    category = StringField(_l("Category"), validators=[DataRequired(REQUIRED), Length(max=100)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)])
    name_en = StringField(_l("Title in English"), validators=[Optional(), Length(max=200)],
                          description=_l("Optional: English readers see the Russian title when empty."))
    category_en = StringField(_l("Category in English"), validators=[Optional(), Length(max=100)])
    description_en = TextAreaField(_l("Description in English"),
                                   validators=[Optional(), Length(max=4000)])
    price_points = IntegerField(_l("Price, points"),
                                validators=[DataRequired(REQUIRED), NumberRange(min=1, max=10_000_000)])
    value = MoneyField(_l("Value for tax, RUB"), validators=[Optional()],
                       description=_l("Empty: the price in points at the point value."))
    stock = IntegerField(_l("Stock"), validators=[Optional(), NumberRange(min=0)],
                         description=_l("Empty: unlimited (electronic certificates)."))
    electronic = BooleanField(_l("Electronic: delivered by email"))
    audience = SelectField(_l("Audience"))
    active = BooleanField(_l("On sale"), default=True)
    image = FileField(_l("Photo (JPEG or PNG)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.audience.choices = [SelectChoice("", _l("Everyone"))] + [
            SelectChoice(k, v) for k, v in AUDIENCE_SHORT_LABELS.items()]


class StockForm(FlaskForm):
    delta = IntegerField(_l("Change, units"), validators=[DataRequired(REQUIRED)],
                         description=_l("Positive: received; negative: written off."))
    reason = StringField(_l("Reason"), validators=[DataRequired(REQUIRED), Length(max=200)])


class CancelForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=400)])


class ShipForm(FlaskForm):
    tracking_number = StringField(_l("Tracking number"), validators=[Optional(), Length(max=100)])
