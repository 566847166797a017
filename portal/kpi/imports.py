"""Importing the plan from a spreadsheet in the plan table's own shape: a row per KPI (optionally per company),
a whole-period column and a column per stage or month. Every row is reported with the figures read and what
they change; nothing is written until the manager confirms, and then only if every cell is right."""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.auth.models import AUDIENCE_SHORT_LABELS
from portal.core import imports as frame
from portal.core.errors import DomainError
from portal.extensions import db
from portal.groups.services import all_groups
from portal.kpi import plan, stages
from portal.kpi.grid import shown_cell
from portal.kpi.kpis import SHARE
from portal.kpi.models import COMPANY, PROGRAM
from portal.kpi.plan_table import cell_text, column_kind, kpi_of, stage_of
from portal.partners.models import PartnerCompany

MAX_BYTES = frame.MAX_BYTES
MAX_ROWS = 5000


@dataclass
class ImportRow:
    number: int
    label: str
    company: str = ""
    kpi: str | None = None
    scope: tuple[str, str] = (PROGRAM, "")
    values: dict = field(default_factory=dict)  # stage id (None: total) -> target
    errors: list[str] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)  # each column's figure as read, in the report's order
    notes: list[str] = field(default_factory=list)  # what the figures mean, not errors
    created: int = 0  # targets this row adds
    updated: int = 0  # targets it changes or clears

    @property
    def changes(self) -> int:
        return self.created + self.updated


@dataclass
class ImportReport:
    columns: list[str]
    header_errors: list[str]
    rows: list[ImportRow]
    column_ids: list = field(default_factory=list)  # stage id (None: total) of each of `columns`

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.header_errors and not any(r.errors for r in self.rows)

    @property
    def created(self) -> int:
        return sum(r.created for r in self.rows)

    @property
    def updated(self) -> int:
        return sum(r.updated for r in self.rows)


def _company_scope(text: str) -> tuple[str, str] | None:
    if not text:
        return None
    query = select(PartnerCompany.id).where(PartnerCompany.inn == text) if text.isdigit() else \
        select(PartnerCompany.id).where(PartnerCompany.name == text)
    found = db.session.scalars(query.limit(2)).all()
    return (COMPANY, str(found[0])) if len(found) == 1 else None


def read_table(filename: str, content: bytes) -> list[list]:
    rows = frame.read_table(filename, content, max_rows=MAX_ROWS)
    if not any(cell_text(v) for v in rows[0]):
        raise DomainError(_l("The file is empty."), field="file")
    return rows


def _read_header(header: list[str], all_stages):
    errors, stage_columns = [], {}
    kpi_column = company_column = total_column = None
    for index, title in enumerate(header):
        if not title:
            continue
        kind = column_kind(title)
        if kind == "kpi" and kpi_column is None:
            kpi_column = index
        elif kind == "company" and company_column is None:
            company_column = index
        elif kind == "total" and total_column is None:
            total_column = index
        else:
            stage, why = stage_of(title, all_stages)
            if stage is None:
                errors.append(why)
            elif stage.id in stage_columns.values():
                errors.append(str(_l("Column «%(title)s»: the stage «%(stage)s» has an earlier column.",
                                     title=title, stage=stage.name)))
            else:
                stage_columns[index] = stage
    if kpi_column is None:
        kpi_column = 1 if company_column == 0 else 0
    return errors, kpi_column, company_column, total_column, stage_columns


def check_import(filename: str, content: bytes, scope: tuple[str, str] = (PROGRAM, "")) -> ImportReport:
    """Check every row and cell and say what each would change in the plan of `scope` (or of the row's company);
    nothing is written."""
    rows = read_table(filename, content)
    all_stages = stages.all_stages()
    header = [cell_text(v) for v in rows[0]]
    header_errors, kpi_column, company_column, total_column, stage_columns = _read_header(header, all_stages)
    if not all_stages:
        header_errors.append(str(_l("The program has no stages yet: add them first.")))
    targets = [(None, total_column, str(_l("program total")))] if total_column is not None else []
    targets += [(stage.id, index, stage.name) for index, stage in sorted(stage_columns.items())]
    report_rows, seen = [], set()
    for number, raw in enumerate(rows[1:], start=2):
        cells = list(raw) + [None] * (len(header) - len(raw))
        if not any(cell_text(v) for v in cells):
            continue
        row = ImportRow(number, cell_text(cells[kpi_column]), scope=scope)
        row.kpi, why = kpi_of(row.label)
        if row.kpi is None:
            row.errors.append(why)
        if company_column is not None and cell_text(cells[company_column]):
            row.company = cell_text(cells[company_column])
            found = _company_scope(row.company)
            if found is None:
                row.errors.append(str(_l("unknown company «%(company)s» (give its INN or exact name)",
                                         company=row.company)))
            else:
                row.scope = found
        for stage_id, index, title in targets:
            row.shown.append(cell_text(cells[index])[:30])
            if row.kpi is None:
                continue
            try:
                row.values[stage_id] = plan.parse_target(row.kpi, cells[index], total=stage_id is None)
            except DomainError as error:
                row.errors.append(f"{title}: {str(error).rstrip('.').lower()} («{cell_text(cells[index])[:30]}»)")
        if row.kpi is not None:
            if (row.kpi, row.scope) in seen:
                row.errors.append(str(_l("repeats an earlier row")))
            seen.add((row.kpi, row.scope))
        report_rows.append(row)
    _check_across(report_rows)
    if not report_rows:
        header_errors.append(str(_l("The file has no rows under its header.")))
    return ImportReport([t[2] for t in targets], header_errors, report_rows, [t[0] for t in targets])


def _check_across(report_rows: list[ImportRow]) -> None:
    """The rules across cells of one scope, and what each row changes against the stored plan."""
    by_scope: dict = {}
    for row in report_rows:
        for stage_id, value in row.values.items():
            by_scope.setdefault(row.scope, {})[(row.kpi, stage_id)] = value
    stored = {scope: plan.targets_for(*scope) for scope in {row.scope for row in report_rows}}
    for row in report_rows:
        for (code, _stage_id), message in plan.check_plan(by_scope.get(row.scope, {})).items():
            if code == row.kpi:
                row.errors.append(message)
        _note_share(row, by_scope.get(row.scope, {}))
        for stage_id, value in row.values.items():
            old = stored[row.scope].get((row.kpi, stage_id))
            if old is None and value is not None:
                row.created += 1
            elif old is not None and old.target != value:
                row.updated += 1


def _note_share(row: ImportRow, values: dict) -> None:
    """A share's months are head-counts and its whole-period target a percentage of everyone registered: say
    whether the months add up to that percentage of the planned registrations."""
    kpi = plan.BY_CODE.get(row.kpi or "")
    percent = row.values.get(None)
    months = [v for s, v in row.values.items() if s is not None and v is not None]
    if kpi is None or kpi.kind != SHARE or percent is None or not months or kpi.total_numerator:
        return
    registered = values.get(("registered", None))
    if registered is None:
        registered = sum(v for (code, s), v in values.items() if code == "registered" and s is not None and v)
    if not registered:
        return
    people = round(registered * percent / 10000)
    if sum(months) == people:
        row.notes.append(str(_l("the months add up to %(people)s people: %(percent)s%% of the %(registered)s "
                                "planned registrations", people=people, percent=shown_cell(row.kpi, percent, True),
                                registered=registered)))
    else:
        row.notes.append(str(_l("the months add up to %(sum)s people, while %(percent)s%% of the %(registered)s "
                                "planned registrations is %(people)s", sum=sum(months), people=people,
                                percent=shown_cell(row.kpi, percent, True), registered=registered)))


def shown_value(row: ImportRow, stage_id) -> str:
    """A read figure the way people write it (60% for a share's whole-period target, roubles for money)."""
    if row.kpi is None or stage_id not in row.values:
        return ""
    text = shown_cell(row.kpi, row.values[stage_id], stage_id is None)
    return text + "%" if text and stage_id is None and plan.BY_CODE[row.kpi].kind == SHARE else text


def apply_import(report: ImportReport, actor) -> int:
    """Write every row (only when the whole file is valid): one transaction, all or nothing."""
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
