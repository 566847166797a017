"""Reading a campaign's list of companies to recruit (XLSX or CSV through the import frame): every row checked and
reported, nothing written before the manager confirms, and then every row to invite or none."""

import functools
import re
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.auth.models import LOCALES, User
from portal.core import imports as frame
from portal.core.errors import DomainError
from portal.core.inn import is_valid_inn, normalize_inn
from portal.extensions import db
from portal.partners.models import PartnerCompany, PartnerGroup

from .models import RecruitmentCampaign, RecruitmentInvitee, RecruitmentOptOut

# Column -> the headings people write for it (compared in lower case, without spaces, dots and dashes).
COLUMNS = {
    "inn": ("inn", "инн"),
    "company_name": ("company", "companyname", "name", "компания", "название", "наименование"),
    "region": ("region", "регион"),
    "contact_name": ("contact", "contactname", "контакт", "контактноелицо", "фио", "имя"),
    "email": ("email", "mail", "почта", "электроннаяпочта", "эл.почта"),
    "group": ("group", "группа"),
    "language": ("language", "язык"),
}
REQUIRED = ("inn", "company_name", "contact_name", "email")
TEMPLATE_HEADER = ["INN", "Company", "Region", "Contact", "Email", "Group", "Language"]
TEMPLATE_HEADER_RU = ["ИНН", "Компания", "Регион", "Контакт", "Почта", "Группа", "Язык"]
_EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")


@dataclass
class InviteeRow:
    number: int
    inn: str = ""
    company_name: str = ""
    region: str = ""
    contact_name: str = ""
    email: str = ""
    group_id: int | None = None
    locale: str = "ru"
    errors: list = field(default_factory=list)
    skipped: object = None  # why a right row is left out (a lazy text), None when it will be invited

    @property
    def invited(self) -> bool:
        return not self.errors and self.skipped is None


@dataclass
class InviteePreview:
    rows: list[InviteeRow]
    header_errors: list = field(default_factory=list)

    @property
    def errors(self) -> list[InviteeRow]:
        return [r for r in self.rows if r.errors]

    @property
    def skipped(self) -> list[InviteeRow]:
        return [r for r in self.rows if not r.errors and r.skipped is not None]

    @property
    def to_invite(self) -> list[InviteeRow]:
        return [r for r in self.rows if r.invited]

    @property
    def ok(self) -> bool:
        return not self.header_errors and not self.errors and bool(self.to_invite)


def _key(heading) -> str:
    return re.sub(r"[\s._\-]", "", str(heading or "").lower())


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _columns(header: list) -> tuple[dict[str, int], list]:
    aliases = {_key(alias): column for column, names in COLUMNS.items() for alias in names}
    found: dict[str, int] = {}
    for index, heading in enumerate(header):
        column = aliases.get(_key(heading))
        if column is not None and column not in found:
            found[column] = index
    missing = [column for column in REQUIRED if column not in found]
    errors = [_l("No column %(column)s: the first row must name the columns (INN, Company, Region, Contact, Email, "
                 "Group, Language).", column=TEMPLATE_HEADER[list(COLUMNS).index(column)]) for column in missing]
    return found, errors


def read_invitee_file(filename: str, content: bytes) -> list[list]:
    return frame.read_table(filename, content)


def _check_email(text: str) -> str | None:
    """The normalised address, or None. An ordinary address (ASCII dot-atom local part) has its domain validated
    once per file, so 50,000 rows read in seconds; anything else goes through the full validation."""
    if not _EMAIL_SHAPE.match(text) or len(text) > 254:
        return None
    local, _at, domain = text.rpartition("@")
    if len(local) <= 64 and _LOCAL_PART.match(local):
        domain = _checked_domain(domain.lower(), current_app.config["EMAIL_ALLOW_TEST_DOMAINS"])
        return f"{local.lower()}@{domain}" if domain else None
    return _validated(text)


def _validated(text: str) -> str | None:
    try:
        return validate_email(text, check_deliverability=False,
                              test_environment=current_app.config["EMAIL_ALLOW_TEST_DOMAINS"]).normalized.lower()
    except EmailNotValidError:
        return None


@functools.lru_cache(maxsize=4096)
def _checked_domain(domain: str, test_domains: bool) -> str | None:
    try:
        return validate_email(f"x@{domain}", check_deliverability=False,
                              test_environment=test_domains).normalized.lower().partition("@")[2]
    except EmailNotValidError:
        return None


def _read_row(number: int, cells: list, found: dict[str, int], groups: dict[str, int]) -> InviteeRow:
    def cell(column):
        index = found.get(column)
        return _text(cells[index]) if index is not None and index < len(cells) else ""

    row = InviteeRow(number, inn=normalize_inn(cell("inn")), company_name=cell("company_name"),
                     region=cell("region"), contact_name=cell("contact_name"))
    if not is_valid_inn(row.inn):
        row.errors.append(_l("the INN %(inn)s is not valid (10 or 12 digits with a correct check digit)",
                             inn=row.inn[:20] or "—"))
    if not row.company_name:
        row.errors.append(_l("the company's name is missing"))
    if not row.contact_name:
        row.errors.append(_l("the contact's name is missing"))
    for column, limit in (("company_name", 200), ("contact_name", 200), ("region", 120)):
        if len(getattr(row, column)) > limit:
            row.errors.append(_l("%(column)s is longer than %(n)s characters",
                                 column=TEMPLATE_HEADER[list(COLUMNS).index(column)], n=limit))
    email = _check_email(cell("email"))
    if email is None:
        row.errors.append(_l("the e-mail %(email)s is not valid", email=cell("email")[:60] or "—"))
    row.email = email or ""
    group = cell("group")
    if group:
        row.group_id = groups.get(group.lower())
        if row.group_id is None:
            row.errors.append(_l("there is no group %(group)s", group=group[:60]))
    language = cell("language").lower()
    if language and language not in LOCALES:
        row.errors.append(_l("the language must be ru or en"))
    row.locale = language if language in LOCALES else current_app.config["BABEL_DEFAULT_LOCALE"]
    return row


def check_invitee_rows(table: list[list]) -> InviteePreview:
    """Every row of the file read and judged: an error (fix the file), left out (with the reason: a duplicate, a
    company already in the program, a contact with an account, an address that unsubscribed, a company another
    campaign still invites) or invited. Reads only."""
    found, header_errors = _columns(table[0])
    if header_errors:
        return InviteePreview([], header_errors)
    groups = {name.lower(): group_id for group_id, name in db.session.execute(
        select(PartnerGroup.id, PartnerGroup.name))}
    rows = [_read_row(number, cells, found, groups) for number, cells in enumerate(table[1:], start=2)
            if any(_text(value) for value in cells)]
    good = [row for row in rows if not row.errors]
    # Read whole, once: a few queries, where 50,000 values in IN lists would cost seconds to send.
    in_program = set(db.session.scalars(select(PartnerCompany.inn)))
    with_account = set(db.session.scalars(select(User.email)))
    unsubscribed = set(db.session.scalars(select(RecruitmentOptOut.email)))
    invited_elsewhere = dict(db.session.execute(
        select(RecruitmentInvitee.inn, func.min(RecruitmentCampaign.name))
        .join(RecruitmentCampaign, RecruitmentCampaign.id == RecruitmentInvitee.campaign_id)
        .where(RecruitmentInvitee.stopped.is_(None)).group_by(RecruitmentInvitee.inn)).all())
    first_of: dict[str, int] = {}
    for row in good:
        if row.inn in first_of:
            row.skipped = _l("the same INN as row %(row)s", row=first_of[row.inn])
            continue
        first_of[row.inn] = row.number
        if row.inn in in_program:
            row.skipped = _l("the company is already in the program")
        elif row.email in with_account:
            row.skipped = _l("the contact already has an account")
        elif row.email in unsubscribed:
            row.skipped = _l("the contact unsubscribed from recruitment mail")
        elif row.inn in invited_elsewhere:
            row.skipped = _l("campaign «%(name)s» invites this company already", name=invited_elsewhere[row.inn])
    return InviteePreview(rows)


def check_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_l("Name the campaign."), field="name")
    return name[:200]
