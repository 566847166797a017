from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from portal.auth.models import AUDIENCE_SHORT_LABELS
from portal.core.fields import db_int

from .models import TARGET_LABELS

REQUIRED = _l("This field is required.")


class NewsForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=200)])
    title_en = StringField(_l("Title in English"), validators=[Optional(), Length(max=200)])
    body = TextAreaField(_l("Text"), validators=[DataRequired(REQUIRED)],
                         description=_l("HTML: paragraphs, bold, lists, links and images (by address). Scripts are "
                                        "refused."))
    body_en = TextAreaField(_l("Text in English"), validators=[Optional()])
    target = SelectField(_l("For whom"), choices=[SelectChoice(k, v) for k, v in TARGET_LABELS.items()])
    audiences = SelectMultipleField(_l("Audiences"), validate_choice=False,
                                    choices=[SelectChoice(k, v) for k, v in AUDIENCE_SHORT_LABELS.items()])
    groups = SelectMultipleField(_l("Partner groups"), coerce=db_int, validate_choice=False)
    companies = SelectMultipleField(_l("Companies"), coerce=db_int, validate_choice=False)
    regions = SelectMultipleField(_l("Regions"), validate_choice=False)
    publish_at = DateTimeLocalField(_l("Publish at (empty: now)"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    pinned = BooleanField(_l("Pin on top (replaces the pinned item)"))
    must_read = BooleanField(_l("Must read: partner admins see who of their company read it"))
    mail_copy = BooleanField(_l("Also send it by mail (only to people who agreed to news mail)"))
