from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError
from wtforms.widgets import PasswordInput

from portal.auth.models import AUDIENCE_LABELS, AUDIENCES
from portal.auth.passwords import check_password_strength
from portal.auth.services import Registration
from portal.core.errors import DomainError
from portal.core.fields import LocalDateField
from portal.core.inn import is_valid_inn
from portal.core.phones import normalize_phone

REQUIRED = _l("This field is required.")
LANGUAGE_CHOICES = [SelectChoice("ru", "Русский"), SelectChoice("en", "English")]


def audience_choices():
    return [SelectChoice(key, AUDIENCE_LABELS[key]) for key in AUDIENCES]


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED)])
    remember = BooleanField(_l("Remember me"))


class PhoneMixin:
    def validate_phone(self, field):
        if field.data and normalize_phone(field.data) is None:
            raise ValidationError(_l("Enter a Russian phone number: +7 (999) 999-99-99."))


class RegistrationForm(PhoneMixin, FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(REQUIRED), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED), Length(max=254)])
    phone = StringField(
        _l("Mobile phone"), validators=[DataRequired(REQUIRED)], render_kw={"placeholder": "+7 (999) 999-99-99"}
    )
    birthday = LocalDateField(_l("Date of birth"), validators=[Optional()])
    audience = RadioField(_l("Who you are in your company"), validators=[DataRequired(REQUIRED)])
    job_title = StringField(_l("Job title"), validators=[Optional(), Length(max=120)])
    inn = StringField(
        _l("Company INN"), validators=[DataRequired(REQUIRED)],
        description=_l("10 digits for an organisation, 12 for a sole proprietor."),
    )
    company_name = StringField(
        _l("Company name"), validators=[Optional(), Length(max=200)],
        description=_l("Only if your company is not in the program yet."),
    )
    company_region = StringField(_l("Company region"), validators=[Optional(), Length(max=120)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(REQUIRED)],
        description=_l("At least 8 characters, letters and digits."),
    )
    password_confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(REQUIRED), EqualTo("password", message=_l("The passwords do not match."))],
    )
    accept_rules = BooleanField(validators=[DataRequired(_l("Accept the program rules to take part."))])
    accept_personal_data = BooleanField(
        validators=[DataRequired(_l("Consent to personal data processing is required."))]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.audience.choices = audience_choices()

    def fix_company(self, invitation, *, prefill_email: bool) -> None:
        """Following an invitation: its company is fixed (whatever the browser sends for the INN is ignored)."""
        self.inn.data = invitation.company.inn
        if prefill_email:
            self.email.data = invitation.email

    def validate_inn(self, field):
        if not is_valid_inn(field.data):
            raise ValidationError(_l("Enter a valid INN: 10 or 12 digits with a correct check digit."))

    def validate_password(self, field):
        # The service checks it too; here it shows with the form's other errors, in one round.
        try:
            check_password_strength(field.data or "", self.email.data)
        except DomainError as exc:
            raise ValidationError(exc.message) from exc

    def registration(self, *, locale: str, ip_address: str | None) -> Registration:
        return Registration(
            full_name=self.full_name.data, email=self.email.data, phone=self.phone.data, birthday=self.birthday.data,
            audience=self.audience.data, job_title=self.job_title.data, password=self.password.data,
            inn=self.inn.data, company_name=self.company_name.data, company_region=self.company_region.data,
            locale=locale, ip_address=ip_address, accepted_rules=self.accept_rules.data,
            accepted_personal_data=self.accept_personal_data.data,
        )

    def keep_typed_passwords(self) -> bool:
        """After an error elsewhere on the form, send back the passwords as typed, so only that error needs
        fixing. Only a pair that passed every check (strong enough, the same twice); the page that carries
        them must not be stored by any cache (the view sends it with Cache-Control: no-store)."""
        if not self.password.data or self.password.errors or self.password_confirm.errors:
            return False
        for field in (self.password, self.password_confirm):
            field.widget = PasswordInput(hide_value=False)
        return True


class ResendConfirmationForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(REQUIRED)],
        description=_l("At least 8 characters, letters and digits."),
    )
    password_confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(REQUIRED), EqualTo("password", message=_l("The passwords do not match."))],
    )


class ProfileForm(PhoneMixin, FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(REQUIRED), Length(max=200)])
    phone = StringField(_l("Mobile phone"), render_kw={"placeholder": "+7 (999) 999-99-99"})
    birthday = LocalDateField(_l("Date of birth"), validators=[Optional()])
    job_title = StringField(_l("Job title"), validators=[Optional(), Length(max=120)])
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(REQUIRED)])
    password = PasswordField(
        _l("New password"), validators=[DataRequired(REQUIRED)],
        description=_l("At least 8 characters, letters and digits."),
    )
    password_confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(REQUIRED), EqualTo("password", message=_l("The passwords do not match."))],
    )


class CodeForm(FlaskForm):
    """The second step of signing in: a code from the app, or a recovery code."""

    code = StringField(_l("Code"), validators=[DataRequired(REQUIRED), Length(max=64)],
                       description=_l("6 digits from the authenticator app, or one of your recovery codes."),
                       render_kw={"autocomplete": "one-time-code", "inputmode": "text"})


class ConfirmCodeForm(FlaskForm):
    code = StringField(_l("Code from the app"), validators=[DataRequired(REQUIRED), Length(max=64)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class PasswordCheckForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired(REQUIRED), Length(max=256)])


class ReauthForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[Optional(), Length(max=256)])
    code = StringField(_l("Or a code from the app"), validators=[Optional(), Length(max=64)],
                       render_kw={"autocomplete": "one-time-code"})
