from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from portal.claims.models import REJECTION_REASONS
from portal.core.fields import IntegerField, LocalDateField
from portal.core.inn import is_valid_inn
from portal.products.forms import MoneyField

REQUIRED = _l("This field is required.")


class LineForm(FlaskForm):
    class Meta:
        csrf = False

    product = StringField(_l("Product"), validators=[Optional(), Length(max=300)])
    quantity = IntegerField(_l("Quantity"), validators=[Optional(), NumberRange(min=1, max=100_000,
                                                                                   message=_l("From 1 to 100,000."))])
    price = MoneyField(_l("Price, RUB"), validators=[Optional()])
    # A line filled from a UPD: the seller's article and name there, so a product chosen for it is remembered.
    article = HiddenField(validators=[Optional(), Length(max=100)])
    upd_name = HiddenField(validators=[Optional(), Length(max=300)])


class ClaimForm(FlaskForm):
    invoice_number = StringField(_l("Invoice number"), validators=[DataRequired(REQUIRED), Length(max=64)])
    invoice_date = LocalDateField(_l("Invoice date"), validators=[DataRequired(_l("Enter the invoice date."))])
    customer_name = StringField(_l("Customer"), validators=[DataRequired(REQUIRED), Length(max=200)])
    customer_inn = StringField(_l("Customer INN"), validators=[Optional()], description=_l("If you know it."))
    lines = FieldList(FormField(LineForm), min_entries=3, max_entries=50)
    scan = FileField(_l("Scan of the invoice"),
                     description=_l("Needed to send the sale for review (a draft can wait for it): PDF, JPEG or PNG, "
                                    "up to 10 MB."))
    # The lead this sale closes (portal/leads); choices are the participant's qualified leads.
    lead_id = SelectField(_l("Lead this sale closes"), choices=[], validate_choice=False,
                          coerce=lambda value: "" if value is None else str(value))
    pending_scan = HiddenField()  # a scan already uploaded with this form, kept when the form comes back with errors

    def validate_customer_inn(self, field):
        if field.data and not is_valid_inn(field.data):
            raise ValidationError(_l("Enter a valid INN: 10 or 12 digits with a correct check digit."))


class RejectForm(FlaskForm):
    reason_code = SelectField(_l("Reason"), choices=[SelectChoice(k, v) for k, v in REJECTION_REASONS.items()])
    note = TextAreaField(_l("Comment for the participant"), validators=[Optional(), Length(max=400)])

    def reason_text(self) -> str:
        label = str(REJECTION_REASONS.get(self.reason_code.data, ""))
        note = (self.note.data or "").strip()
        if self.reason_code.data == "other":
            return note
        return f"{label}. {note}" if note else label


class ReverseForm(FlaskForm):
    reason = StringField(_l("Reason for the reversal"), validators=[DataRequired(REQUIRED), Length(max=400)])


class BulkForm(RejectForm):
    action = SelectField(choices=[SelectChoice("approve", _l("Approve")), SelectChoice("reject", _l("Reject"))])
    confirm = BooleanField()


class ScanForm(FlaskForm):
    """The scan of a draft that waits for it (made from the API or a file import), attached and submitted at once."""

    scan = FileField(_l("Scan of the invoice"), validators=[FileRequired(_l("Choose a file."))],
                     description=_l("PDF, JPEG or PNG, up to 10 MB."))


class UpdFileForm(FlaskForm):
    """"Fill from a UPD" on the claim form: the e-invoice file (XML) fills the claim and becomes its scan."""

    file = FileField(_l("UPD file (XML)"), validators=[FileRequired(_l("Choose a file."))],
                     description=_l("The e-invoice in the tax service's format (ON_NSCHFDOPPR, versions 5.01 and "
                                    "5.03), up to 5 MB. It is kept as the sale's scan."))


class ArticleForm(FlaskForm):
    product = StringField(_l("Product"), validators=[DataRequired(REQUIRED), Length(max=300)])
