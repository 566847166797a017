from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.core.fields import IntegerField
from portal.products.forms import MoneyField

SCORE = _l("A score is a whole number from 0 to 100.")


class FraudSettingsForm(FlaskForm):
    bulk_max_score = IntegerField(_l("Bulk approval up to the score"), validators=[
        DataRequired(SCORE), NumberRange(min=0, max=100, message=SCORE)],
        description=_l("Claims scoring this or less may be approved several at a time from the queue."))
    hold_score = IntegerField(_l("Second reviewer from the score"), validators=[
        DataRequired(SCORE), NumberRange(min=1, max=100, message=SCORE)],
        description=_l("Claims scoring this or more are held: one reviewer marks them reviewed, another approves."))
    large_sale = MoneyField(_l("Large sale, RUB"), validators=[DataRequired(_l("Enter an amount in roubles."))],
                            description=_l("A new participant's first claims above it, and claims just under it, "
                                           "are signals."))


class FraudDecisionForm(FlaskForm):
    note = TextAreaField(_l("Comment for the participant"), validators=[Optional(), Length(max=300)])
