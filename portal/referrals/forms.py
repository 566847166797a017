from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from .models import PERIOD_LABELS, PERIODS


class ReferralSettingsForm(FlaskForm):
    active = BooleanField(_l("Pay the referral bonus"))
    points = IntegerField(_l("Points per referral"), validators=[
        InputRequired(_l("This field is required.")),
        NumberRange(1, 1_000_000, _l("Enter the points of one bonus: a whole number from 1 to 1,000,000."))],
        description=_l("Paid to the referrer once, when the invitee's first sale is approved."))
    cap_per_period = IntegerField(_l("At most this many bonuses per person"), validators=[
        Optional(), NumberRange(1, 10_000, _l("Enter the limit as a whole number from 1 to 10,000, or leave it "
                                              "empty for no limit."))],
        description=_l("Empty: no limit. A first sale past the limit is recorded as not paid."))
    cap_period = SelectField(_l("Per"), choices=[SelectChoice(p, PERIOD_LABELS[p]) for p in PERIODS])
