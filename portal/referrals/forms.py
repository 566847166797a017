from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from portal.core.fields import IntegerField

from .models import PERIOD_LABELS, PERIODS

# A text input, not a number one: a browser empties a number input whose value it cannot read ("1,5", "abc")
# when it shows the page again, so the person would lose what they typed along with the reason.
WHOLE_NUMBER = {"widget": widgets.TextInput(), "render_kw": {"inputmode": "numeric"},
                "invalid_value_message": _l("Enter a whole number.")}


class ReferralSettingsForm(FlaskForm):
    active = BooleanField(_l("Pay the referral bonus"))
    points = IntegerField(_l("Points per referral"), validators=[
        InputRequired(_l("This field is required.")),
        NumberRange(1, 1_000_000, _l("Enter the points of one bonus: a whole number from 1 to 1,000,000."))],
        description=_l("Paid to the referrer once, when the invitee's first sale is approved."), **WHOLE_NUMBER)
    cap_per_period = IntegerField(_l("At most this many bonuses per person"), validators=[
        Optional(), NumberRange(1, 10_000, _l("Enter the limit as a whole number from 1 to 10,000, or leave it "
                                              "empty for no limit."))],
        description=_l("Empty: no limit. A first sale past the limit is recorded as not paid."), **WHOLE_NUMBER)
    cap_period = SelectField(_l("Per"), choices=[SelectChoice(p, PERIOD_LABELS[p]) for p in PERIODS])
