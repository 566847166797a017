"""Importing the plan from a spreadsheet in the plan table's own shape: a row per KPI (optionally per company),
a program total column and a column per stage. Every row is reported; if any cell is wrong, nothing is written."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.auth.models import AUDIENCE_SHORT_LABELS
from portal.core.errors import DomainError
from portal.core.params import clean_text
from portal.extensions import db
from portal.groups.services import all_groups
from portal.kpi import plan, stages
from portal.kpi.kpis import KPIS
from portal.kpi.models import COMPANY, PROGRAM
from portal.partners.models import PartnerCompany
from portal.products.services import read_rows

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
KPI_HEADERS = {"kpi", "кпэ", "kpi / stage", "показатель", "метрика"}
COMPANY_HEADERS = {"company", "компания", "инн", "inn", "партнёр", "партнер"}
TOTAL_HEADERS = {"program target", "program total", "total", "итого", "цель программы", "цель", "план программы"}
MONTHS = {
    1: ("jan", "january", "янв", "январь", "января"), 2: ("feb", "february", "фев", "февраль", "февраля"),
    3: ("mar", "march", "мар", "март", "марта"), 4: ("apr", "april", "апр", "апрель", "апреля"),
    5: ("may", "май", "мая"), 6: ("jun", "june", "июн", "июнь", "июня"), 7: ("jul", "july", "июл", "июль", "июля"),
    8: ("aug", "august", "авг", "август", "августа"), 9: ("sep", "sept", "september", "сен", "сентябрь", "сентября"),
    10: ("oct", "october", "окт", "октябрь", "октября"), 11: ("nov", "november", "ноя", "ноябрь", "ноября"),
    12: ("dec", "december", "дек", "декабрь", "декабря"),
}
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass
class ImportRow:
    number: int
    label: str
    company: str = ""
    kpi: str | None = None
    scope: tuple[str, str] = (PROGRAM, "")
    values: dict = field(default_factory=dict)  # stage id (None: total) -> target
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    columns: list[str]
    header_errors: list[str]
    rows: list[ImportRow]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.header_errors and not any(r.errors for r in self.rows)


def _text(value) -> str:
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m")
    return clean_text(value).strip()[:200]


def _stage_of(title: str, all_stages) -> object:
    low = title.lower().rstrip(".")
    for stage in all_stages:
        if low in (stage.name.lower(), stage.starts_on.strftime("%Y-%m"), stage.starts_on.isoformat(),
                   format_date(stage.starts_on, "LLLL y").lower()):
            return stage
    match = _YEAR_MONTH.match(low)
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        return next((s for s in all_stages if (s.starts_on.year, s.starts_on.month) == (year, month)), None)
    for month, names in MONTHS.items():
        if low in names or low.split(" ")[0] in names:
            year = low.split(" ")[1] if " " in low else ""
            found = [s for s in all_stages if s.starts_on.month == month and s.starts_on.day == 1
                     and (not year.isdigit() or s.starts_on.year == int(year))]
            if len(found) == 1:
                return found[0]
    return None


def _kpi_of(label: str) -> str | None:
    low = label.lower()
    for kpi in KPIS:
        if low in (kpi.code, str(kpi.label).lower()):
            return kpi.code
        from flask_babel import force_locale

        for locale in ("ru", "en"):
            with force_locale(locale):
                if low == str(kpi.label).lower():
                    return kpi.code
    return None


def _company_scope(text: str) -> tuple[str, str] | None:
    if not text:
        return None
    query = select(PartnerCompany.id).where(PartnerCompany.inn == text) if text.isdigit() else \
        select(PartnerCompany.id).where(PartnerCompany.name == text)
    found = db.session.scalars(query.limit(2)).all()
    return (COMPANY, str(found[0])) if len(found) == 1 else None


def read_table(filename: str, content: bytes) -> list[list]:
    if len(content) > MAX_BYTES:
        raise DomainError(_l("The file is larger than 5 MB."), field="file")
    if not filename.lower().endswith((".xlsx", ".csv")):
        raise DomainError(_l("Upload an XLSX or CSV file."), field="file")
    rows = read_rows(filename, content)
    if not rows or not any(_text(v) for v in rows[0]):
        raise DomainError(_l("The file is empty."), field="file")
    if len(rows) > MAX_ROWS:
        raise DomainError(_l("The file has too many rows: at most 5,000 at a time."), field="file")
    return rows


def check_import(filename: str, content: bytes) -> ImportReport:
    """Check every row and cell; nothing is written."""
    rows = read_table(filename, content)
    all_stages = stages.all_stages()
    header = [_text(v) for v in rows[0]]
    header_errors, columns = [], []
    kpi_column = company_column = total_column = None
    stage_columns: dict[int, object] = {}
    for index, title in enumerate(header):
        low = title.lower()
        if not title:
            continue
        if low in KPI_HEADERS and kpi_column is None:
            kpi_column = index
        elif low in COMPANY_HEADERS and company_column is None:
            company_column = index
        elif low in TOTAL_HEADERS:
            total_column = index
        else:
            stage = _stage_of(title, all_stages)
            if stage is None:
                header_errors.append(str(_l("Column «%(title)s»: no stage with this name or month.", title=title)))
            else:
                stage_columns[index] = stage
                columns.append(stage.name)
    if kpi_column is None:
        kpi_column = 1 if company_column == 0 else 0
    report_rows, seen = [], set()
    for number, raw in enumerate(rows[1:], start=2):
        cells = list(raw) + [None] * (len(header) - len(raw))
        if not any(_text(v) for v in cells):
            continue
        row = ImportRow(number, _text(cells[kpi_column]))
        row.kpi = _kpi_of(row.label)
        if row.kpi is None:
            row.errors.append(str(_l("unknown KPI «%(label)s»", label=row.label)))
        if company_column is not None and _text(cells[company_column]):
            row.company = _text(cells[company_column])
            scope = _company_scope(row.company)
            if scope is None:
                row.errors.append(str(_l("unknown company «%(company)s» (give its INN or exact name)",
                                         company=row.company)))
            else:
                row.scope = scope
        if row.kpi is not None:
            targets = [(stage_columns[i].id, i, stage_columns[i].name) for i in stage_columns]
            if total_column is not None:
                targets.append((None, total_column, str(_l("program total"))))
            for stage_id, index, title in targets:
                try:
                    row.values[stage_id] = plan.parse_target(row.kpi, cells[index], total=stage_id is None)
                except DomainError as error:
                    row.errors.append(f"{title}: {str(error).rstrip('.').lower()} («{_text(cells[index])[:30]}»)")
            if (row.kpi, row.scope) in seen:
                row.errors.append(str(_l("repeats an earlier row")))
            seen.add((row.kpi, row.scope))
        report_rows.append(row)
    by_scope: dict = {}
    for row in report_rows:
        for stage_id, value in row.values.items():
            by_scope.setdefault(row.scope, {})[(row.kpi, stage_id)] = value
    for row in report_rows:
        for (code, _stage_id), message in plan.check_plan(by_scope.get(row.scope, {})).items():
            if code == row.kpi:
                row.errors.append(message)
    if not report_rows:
        header_errors.append(str(_l("The file has no rows under its header.")))
    return ImportReport(columns, header_errors, report_rows)


def apply_import(report: ImportReport, actor) -> int:
    """Write every row (only called when the whole file is valid): one transaction, all or nothing."""
    if not report.ok:
        raise DomainError(_l("The file has errors: nothing was imported."))
    written = 0
    for row in report.rows:
        written += plan.set_targets(*row.scope, {(row.kpi, s): v for s, v in row.values.items()}, actor,
                                    source="import")
    return written


def scope_choices() -> list[tuple[str, str, str]]:
    """Scopes the grid offers besides the program: groups, audiences, regions (companies from their page)."""
    choices = [("group", str(g.id), g.name) for g in all_groups()]
    choices += [("audience", k, str(v)) for k, v in AUDIENCE_SHORT_LABELS.items()]
    regions = db.session.scalars(select(PartnerCompany.region).where(PartnerCompany.region != "").distinct()
                                 .order_by(PartnerCompany.region).limit(100))
    choices += [("region", r, r) for r in regions]
    return choices
