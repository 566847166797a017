from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.auth.models import AUDIENCE_SHORT_LABELS
from portal.core.fields import IntegerField

REQUIRED = _l("This field is required.")


class CourseForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional()],
                                description=_l("Formatted text: paragraphs, lists, links and images are kept."))
    audience = SelectField(_l("Audience"))
    points = IntegerField(_l("Points for passing"), default=0, validators=[Optional(), NumberRange(min=0)])
    duration_minutes = IntegerField(_l("Length, minutes"), default=30, validators=[Optional(), NumberRange(min=1)])
    title_en = StringField(_l("Title in English"), validators=[Optional(), Length(max=200)],
                           description=_l("Optional: English readers see the Russian title when empty."))
    description_en = TextAreaField(_l("Description in English"), validators=[Optional()])
    lessons_first = BooleanField(_l("Lessons before the quiz"),
                                 description=_l("The quiz opens only once the participant has read every lesson "
                                                "before it."))
    published = BooleanField(_l("Published"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.audience.choices = [SelectChoice("", _l("Everyone"))] + [
            SelectChoice(k, v) for k, v in AUDIENCE_SHORT_LABELS.items()]


class NewItemForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[SelectChoice("lesson", _l("Lesson")), SelectChoice("quiz", _l("Quiz"))])
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=200)])


class ItemForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=200)])
    body = TextAreaField(_l("Text of the lesson"), validators=[Optional()],
                         description=_l("HTML: paragraphs, headings, lists, links, images. Scripts are removed."))
    title_en = StringField(_l("Title in English"), validators=[Optional(), Length(max=200)],
                           description=_l("Optional: English readers see the Russian title when empty."))
    body_en = TextAreaField(_l("Text of the lesson in English"), validators=[Optional()],
                            description=_l("Optional: English readers see the Russian text when empty."))
    attachment = FileField(_l("Attachment (PDF or image)"))
    pass_mark = IntegerField(_l("Pass mark, %"), default=70, validators=[Optional(), NumberRange(min=1, max=100)])
    max_attempts = IntegerField(_l("Attempts allowed"), validators=[Optional(), NumberRange(min=1, max=100)],
                                description=_l("Empty: unlimited."))


class QuestionForm(FlaskForm):
    text = StringField(_l("Question"), validators=[DataRequired(REQUIRED), Length(max=500)])
    text_en = StringField(_l("Question in English"), validators=[Optional(), Length(max=500)])
    multiple = BooleanField(_l("Several right answers"))
    choice_1 = StringField(_l("Answer 1"), validators=[Length(max=300)])
    choice_2 = StringField(_l("Answer 2"), validators=[Length(max=300)])
    choice_3 = StringField(_l("Answer 3"), validators=[Length(max=300)])
    choice_4 = StringField(_l("Answer 4"), validators=[Length(max=300)])
    choice_en_1 = StringField(_l("Answer 1 in English"), validators=[Optional(), Length(max=300)])
    choice_en_2 = StringField(_l("Answer 2 in English"), validators=[Optional(), Length(max=300)])
    choice_en_3 = StringField(_l("Answer 3 in English"), validators=[Optional(), Length(max=300)])
    choice_en_4 = StringField(_l("Answer 4 in English"), validators=[Optional(), Length(max=300)])
    correct_1 = BooleanField(_l("right"))
    correct_2 = BooleanField(_l("right"))
    correct_3 = BooleanField(_l("right"))
    correct_4 = BooleanField(_l("right"))

    def choices(self):
        return [(getattr(self, f"choice_{n}").data or "", getattr(self, f"correct_{n}").data) for n in range(1, 5)]

    def choices_en(self):
        """The answers' English texts, in the same places as choices()."""
        return [getattr(self, f"choice_en_{n}").data or "" for n in range(1, 5)]


class GrantAttemptsForm(FlaskForm):
    user_id = IntegerField(validators=[DataRequired(), NumberRange(min=1, max=2**31 - 1)])
    item_id = IntegerField(validators=[DataRequired(), NumberRange(min=1, max=2**31 - 1)])
    extra = IntegerField(_l("Extra attempts"), default=1,
                         validators=[DataRequired(REQUIRED), NumberRange(min=1, max=10, message=_l("From 1 to 10."))])
    reason = StringField(_l("Reason"), validators=[DataRequired(REQUIRED), Length(max=500)])
