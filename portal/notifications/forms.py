from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField

from .mailing import CATEGORY_LABELS


class MailPreferencesForm(FlaskForm):
    decisions = BooleanField(CATEGORY_LABELS["decisions"])
    contests = BooleanField(CATEGORY_LABELS["contests"])
    news = BooleanField(CATEGORY_LABELS["news"])
    reminders = BooleanField(CATEGORY_LABELS["reminders"])
    reports = BooleanField(CATEGORY_LABELS["reports"])
    digest = BooleanField(_l("Send news and contests as one weekly digest instead of single mails"))
    marketing = BooleanField(_l("I agree to receive news and offers of the program by mail (advertising). I can "
                                "withdraw this consent here at any time."))
    submit = SubmitField(_l("Save mail settings"))
