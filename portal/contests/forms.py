from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from portal.auth.models import AUDIENCE_SHORT_LABELS
from portal.core.fields import normalise_number

from .models import (
    ENROLMENT_LABELS,
    LATE_LABELS,
    LEAGUE_MODE_LABELS,
    MAX_WINNERS,
    METRIC_LABELS,
    PLAN_METRICS,
    TIE_BREAK_LABELS,
)

REQUIRED = _l("This field is required.")
MAX_PRIZE_POINTS = 10_000_000
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(key, label) for key, label in labels.items()]


def split_list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").replace(";", ",").replace("\n", ",").split(",") if part.strip()]


def parse_amount(text: str | None) -> Decimal | None:
    """A number typed by a person: spaces and a decimal comma allowed; None when it is not a sane number."""
    raw = normalise_number(text or "")
    if raw is None:
        return None
    if not raw:
        return Decimal(0)
    if len(raw) > 15:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() and value >= 0 else None


class ContestForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)],
                                description=_l("Can be changed while the contest runs."))
    rules = TextAreaField(_l("Rules"), validators=[Optional(), Length(max=20000)],
                          description=_l("Fixed once the contest starts."))
    title_en = StringField(_l("Title in English"), validators=[Optional(), Length(max=200)],
                           description=_l("Optional. English readers see the Russian title when it is empty."))
    description_en = TextAreaField(_l("Description in English"), validators=[Optional(), Length(max=5000)])
    rules_en = TextAreaField(_l("Rules in English"), validators=[Optional(), Length(max=20000)])
    starts_at = DateTimeLocalField(_l("Starts"), format=DATETIME_FORMAT,
                                   validators=[DataRequired(_l("Enter a date and time."))])
    ends_at = DateTimeLocalField(_l("Ends"), format=DATETIME_FORMAT,
                                 validators=[DataRequired(_l("Enter a date and time."))])
    freeze_at = DateTimeLocalField(_l("Freeze the board at"), format=DATETIME_FORMAT, validators=[Optional()],
                                   description=_l("Optional. From then on participants see the board as it was, "
                                                  "and their own live value, until the results are final."))
    metric = SelectField(_l("What counts"))
    plan_metric = SelectField(_l("Plan to measure against"), validators=[Optional()],
                              description=_l("Only for «Personal sales plan completion». People without a plan for "
                                             "the period are not ranked."))
    product_skus = TextAreaField(_l("Only these products (SKUs)"), validators=[Optional(), Length(max=5000)],
                                 description=_l("Comma or line separated. Empty, with no category: every product."))
    categories = SelectMultipleField(_l("Only these categories"), validators=[Optional()])
    audience = SelectField(_l("Audience"), validators=[Optional()])
    group_ids = SelectMultipleField(_l("Partner groups"), coerce=int, validators=[Optional()],
                                    description=_l("Only companies in these groups take part; with leagues by "
                                                   "group, each group is a league."))
    company_inns = TextAreaField(_l("Only these companies (INNs)"), validators=[Optional(), Length(max=20000)])
    enrolment = RadioField(_l("Enrolment"), choices=_choices(ENROLMENT_LABELS), default="auto")
    late_joiners = RadioField(_l("People who join during the contest"), choices=_choices(LATE_LABELS),
                              default="welcome")
    league_mode = SelectField(_l("Leagues"), choices=_choices(LEAGUE_MODE_LABELS), default="single")
    winners_per_league = IntegerField(_l("Winners per league"), default=3,
                                      validators=[InputRequired(REQUIRED), NumberRange(min=1, max=MAX_WINNERS)])
    prize_points = StringField(_l("Prize points per place"), validators=[Optional(), Length(max=1000)],
                               description=_l("Comma separated, first place first: 5000, 3000, 1000."))
    prize_texts = TextAreaField(_l("Described prizes per place"), validators=[Optional(), Length(max=3000)],
                                description=_l("One line per place, first place first (e.g. a trip, a tablet)."))
    min_value = StringField(_l("Minimum value to win"), validators=[Optional(), Length(max=20)],
                            description=_l("In RUB for money, in percent for the plan, otherwise a count. "
                                           "Below it nobody wins a place."))
    tie_break = SelectField(_l("Ties"), choices=_choices(TIE_BREAK_LABELS))

    def __init__(self, *args, groups=(), categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.metric.choices = [SelectChoice(k, v) for k, v in METRIC_LABELS.items()]
        self.plan_metric.choices = [SelectChoice("", "—")] + [SelectChoice(k, METRIC_LABELS[k]) for k in PLAN_METRICS]
        self.audience.choices = [SelectChoice("", _l("Everyone"))] + [
            SelectChoice(k, v) for k, v in AUDIENCE_SHORT_LABELS.items()]
        self.group_ids.choices = [SelectChoice(g.id, g.name) for g in groups]
        self.categories.choices = [SelectChoice(c, c) for c in categories]

    def validate_prize_points(self, field):
        values = split_list(field.data)
        if len(values) > MAX_WINNERS:
            raise ValidationError(_l("At most %(n)s places.", n=MAX_WINNERS))
        for value in values:
            if not value.isdigit() or int(value) > MAX_PRIZE_POINTS:
                raise ValidationError(_l("Whole numbers of points from 0 to %(max)s, separated by commas.",
                                         max=f"{MAX_PRIZE_POINTS:,}".replace(",", " ")))

    def validate_min_value(self, field):
        if parse_amount(field.data) is None:
            raise ValidationError(_l("Enter a number, 0 or more."))

    def prizes(self) -> list[dict]:
        points = [int(v) for v in split_list(self.prize_points.data)]
        texts = [line.strip()[:300] for line in (self.prize_texts.data or "").splitlines()]
        while texts and not texts[-1]:
            texts.pop()
        return [{"points": points[i] if i < len(points) else 0, "text": texts[i] if i < len(texts) else ""}
                for i in range(max(len(points), len(texts)))]


class EditingNoteForm(FlaskForm):
    """Buttons that only post (publish, cancel, finalise, take part)."""
