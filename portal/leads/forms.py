from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from portal.core.fields import LocalDateField
from portal.core.inn import is_valid_inn
from portal.products.forms import MoneyField

from .models import REJECTION_REASONS, REWARD_KIND_LABELS
from .services import attributable_leads

REQUIRED = _l("This field is required.")


class LeadForm(FlaskForm):
    customer_name = StringField(_l("Customer company"), validators=[DataRequired(REQUIRED), Length(max=200)],
                                description=_l("As in its documents, for example ООО «Северный офис»."))
    customer_inn = StringField(_l("Customer INN"), validators=[DataRequired(REQUIRED), Length(max=20)])
    customer_kpp = StringField(_l("KPP"), validators=[Optional(), Length(max=12)], description=_l("If you know it."))
    region = StringField(_l("Region"), validators=[DataRequired(REQUIRED), Length(max=120)])
    contact_name = StringField(_l("Contact person"), validators=[DataRequired(REQUIRED), Length(max=200)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=40)],
                                description=_l("+7 (999) 123-45-67"))
    contact_email = StringField(_l("Contact email"), validators=[Optional(), Length(max=254)])
    need = TextAreaField(_l("What the customer needs"), validators=[DataRequired(REQUIRED), Length(max=1000)],
                         description=_l("Products or categories, quantities."))
    category = SelectField(_l("Main product category"), choices=[], validate_choice=False)
    estimated_amount = MoneyField(_l("Estimated amount, RUB"), validators=[DataRequired(REQUIRED)])
    expected_close_date = LocalDateField(_l("Expected close date"), validators=[Optional()])
    channel_id = SelectField(_l("Where the lead came from"), choices=[], validate_choice=False)
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=4000)])
    attachments = MultipleFileField(_l("Attachments"),
                                    description=_l("Up to 5 files: PDF, JPEG or PNG, up to 10 MB each."))

    def validate_customer_inn(self, field):
        if field.data and not is_valid_inn(field.data):
            raise ValidationError(_l("Enter a valid INN: 10 or 12 digits with a correct check digit."))


def reason_choices():
    return [SelectChoice(k, v) for k, v in REJECTION_REASONS.items() if k != "conflict"]


class RejectForm(FlaskForm):
    reason_code = SelectField(_l("Reason"), choices=reason_choices())
    note = TextAreaField(_l("Comment for the participant"), validators=[Optional(), Length(max=400)])

    def reason_text(self) -> str:
        label = str(REJECTION_REASONS.get(self.reason_code.data, ""))
        note = (self.note.data or "").strip()
        if self.reason_code.data == "other":
            return note
        return f"{label}. {note}" if note else label


class BulkForm(RejectForm):
    action = SelectField(choices=[SelectChoice("qualify", _l("Qualify")), SelectChoice("reject", _l("Reject"))])


class CloseForm(FlaskForm):
    outcome = SelectField(_l("Outcome"), choices=[SelectChoice("won", lazy_pgettext("lead", "Won")),
                                                  SelectChoice("lost", lazy_pgettext("lead", "Lost"))])
    note = StringField(_l("Comment"), validators=[Optional(), Length(max=400)])


class ExtensionRequestForm(FlaskForm):
    note = StringField(_l("Why more time is needed"), validators=[Optional(), Length(max=400)])


class ChannelForm(FlaskForm):
    name_ru = StringField(_l("Name in Russian"), validators=[DataRequired(REQUIRED), Length(max=100)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=100)])
    position = IntegerField(_l("Order in lists"), default=100,
                            validators=[Optional(), NumberRange(min=0, max=10_000, message=_l("From 0 to 10,000."))])
    active = BooleanField(_l("Offered to participants"), default=True)


class RewardRuleForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, v) for k, v in REWARD_KIND_LABELS.items()])
    value = DecimalField(_l("Value"), places=None, validators=[
        DataRequired(REQUIRED), NumberRange(min=0, max=1_000_000, message=_l("From 0 to 1,000,000."))],
        description=_l("Points for a fixed rule; a percent for percentage rules."))
    channel_id = SelectField(_l("Source channel"), choices=[], validate_choice=False,
                             description=_l("Empty: any channel."))
    category = SelectField(_l("Product category"), choices=[], validate_choice=False,
                           description=_l("Fixed rules: the lead's category; percent rules: each sale line's."))
    active = BooleanField(_l("Active"), default=True)


class SettingsForm(FlaskForm):
    protection_days = IntegerField(_l("Protection, days from qualification"), validators=[
        DataRequired(REQUIRED), NumberRange(min=1, max=366, message=_l("From 1 to 366."))])
    won_protection_days = IntegerField(_l("A won customer stays protected, days from the win"), validators=[
        DataRequired(REQUIRED), NumberRange(min=1, max=1096, message=_l("From 1 to 1096."))], default=180,
        description=_l("After the first sale or a win, nobody else can register the customer for this long "
                       "(never less than its protection date)."))
    extension_days = IntegerField(_l("One extension, days"), validators=[
        DataRequired(REQUIRED), NumberRange(min=1, max=366, message=_l("From 1 to 366."))])
    max_extensions = IntegerField(_l("Extensions allowed per lead"), validators=[
        Optional(), NumberRange(min=0, max=12, message=_l("From 0 to 12."))], default=2)
    attribution_days = IntegerField(_l("Attribution window, days from qualification"), validators=[
        DataRequired(REQUIRED), NumberRange(min=1, max=1096, message=_l("From 1 to 1096."))],
        description=_l("Sales invoiced from the lead's registration until this many days after qualification "
                       "earn its share."))
    max_cost_per_lead = MoneyField(_l("Maximum cost per lead, RUB"), validators=[Optional()],
                                   description=_l("The fixed reward never costs more: converted to points at the "
                                                  "point value. Empty: no cap."))
    reminder_days = StringField(_l("Reminders, days before protection ends"), validators=[Optional(), Length(max=40)],
                                description=_l("Comma-separated, for example 7, 1."))


def claim_lead_choices(user) -> list[tuple[str, str, dict]]:
    """The claim form's lead select: my leads a sale can be attributed to, each with its customer INN."""
    leads = attributable_leads(user)
    return [("", str(_l("No lead")), {})] + [
        (str(lead.id), f"#{lead.id} {lead.customer_name} ({lead.customer_inn})", {"data-inn": lead.customer_inn})
        for lead in leads
    ]
