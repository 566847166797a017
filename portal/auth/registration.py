"""Joining the program, as the registration pages need it: the company lookup while the INN is typed, sending the
form, and the confirmation link that signs the person in and names their next step (issues #24, #25, #28)."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.auth import notifications, services
from portal.auth.models import PARTNER_ROLES, User
from portal.core.hooks import Hook
from portal.core.inn import is_valid_inn
from portal.partners import services as partners
from portal.partners.models import Invitation
from portal.referrals import services as referrals

# What a person does first after joining.
FIRST_SALE = "first_sale"  # their company takes part: log a sale
HOME = "home"  # their company waits for the program team's approval: the home page says so

INN_NOT_VALID = _l("Enter a valid INN: 10 or 12 digits with a correct check digit.")


@dataclass(frozen=True)
class CompanyLookup:
    valid: bool
    in_program: bool
    message: str


def look_up_company(inn: str) -> CompanyLookup:
    """What the registration form tells an anonymous visitor about an INN as it is typed.

    Only what registering needs: whether the number is a valid INN and whether the company takes part (then its
    name, so a typo that happens to be another valid INN shows). A company that applied and waits, or was not
    admitted, is answered exactly like one nobody has heard of: the form asks for its name and region."""
    if not is_valid_inn(inn):
        return CompanyLookup(False, False, str(INN_NOT_VALID))
    company = partners.find_company_by_inn(inn)
    if company is not None and company.is_approved:
        return CompanyLookup(True, True, str(_l("The company is in the program: %(name)s.", name=company.name)))
    return CompanyLookup(True, False, str(_l(
        "Enter the company's name and region: a company takes part once the program team approves it.")))


#: recruitment_link(token) -> {form field: value} of a recruitment campaign's invitation link, its opening recorded
#: (flushed), or None when the token is no such link. portal/recruitment provides it.
recruitment_link = Hook("a recruitment campaign's invitation link (portal.auth.registration.recruitment_link)")


def follow_recruitment_link(token: str | None) -> dict | None:
    """What a recruitment campaign's invitation link fills the form with, or None for any other link."""
    return recruitment_link(token) if token and recruitment_link.connected else None


def load_invitation(token: str | None) -> Invitation | None:
    """The invitation a registration link carries, if any (DomainError when it is no longer valid)."""
    return partners.load_invitation(token) if token else None


def submit_registration(registration: services.Registration, invitation: Invitation | None = None) -> User | None:
    """Register a participant and send what they need: the confirmation link, unless following an invitation
    to this very address confirmed it already.

    Returns None when the address already has an account: the page must answer as for a new one (so it tells
    nobody that the address is taken) and the owner gets a mail with a way in instead."""
    try:
        user = services.register_participant(registration, invitation=invitation)
    except services.EmailTaken as exc:
        notifications.send_registration_attempt(exc.user)  # register_participant wrote nothing before this
        return None
    if user.email_confirmed_at is None:
        notifications.send_confirmation(user)
    return user


def referral_note(code: str | None, user: User | None = None):
    """A `?ref=` link (portal/referrals): given the new account, records its referral; returns what the page says
    when the link is not used (None when all is well)."""
    return referrals.record_from_registration(code, user)


@dataclass(frozen=True)
class ConfirmedRegistration:
    user: User
    first_time: bool  # this use of the link confirmed the address
    signs_in: bool
    next_step: str | None


def confirm_registration(token: str) -> ConfirmedRegistration:
    """Confirm the address of a confirmation link; the first use of the link also signs a participant in.

    Only the first use: the link stays valid for days and may be forwarded, so a second use (the address is
    confirmed already) signs nobody in. Never for an account that is deactivated, has two-factor sign-in on,
    or belongs to the program team: those sign in with their password."""
    confirmation = services.confirm_email(token)
    user = confirmation.user
    signs_in = confirmation.first_time and user.active and not user.mfa_enabled and user.role in PARTNER_ROLES
    return ConfirmedRegistration(user, confirmation.first_time, signs_in, next_step(user) if signs_in else None)


def next_step(user: User) -> str:
    """What a person who has just joined does first: log a sale, or wait for their company's approval."""
    return FIRST_SALE if user.company is not None and user.company.is_approved else HOME

