"""The plan: a target per KPI per stage (and a program total), for the program or a group, company, audience
or region. Every change is kept as a revision (before, after, who, when, grid or import)."""

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.audit import services as audit
from portal.auth.models import AUDIENCE_SHORT_LABELS
from portal.core.errors import DomainError
from portal.core.fields import normalise_number
from portal.core.formatting import number, rub
from portal.core.time import utcnow
from portal.extensions import db
from portal.kpi.kpis import BY_CODE, KPIS, SHARE
from portal.kpi.models import AUDIENCE, COMPANY, GROUP, PROGRAM, REGION, SCOPES, KpiPlanRevision, KpiTarget
from portal.partners.models import PartnerCompany, PartnerGroup

MAX_TARGET = 10**12  # a count or kopecks; a trillion is beyond any program
TOTAL = None  # the stage id of the program total


def scope_name(kind: str, key: str) -> str:
    """A readable name of a scope, or '' when it does not exist."""
    if kind == PROGRAM:
        return str(_l("The whole program"))
    if kind in (GROUP, COMPANY):
        if not key.isdigit() or not 0 < int(key) < 2**31:
            return ""
        row = db.session.get(PartnerGroup if kind == GROUP else PartnerCompany, int(key))
        return row.name if row is not None else ""
    if kind == AUDIENCE:
        return str(AUDIENCE_SHORT_LABELS.get(key, ""))
    if kind == REGION:
        found = db.session.scalar(select(PartnerCompany.region).where(PartnerCompany.region == key).limit(1))
        return found or ""
    return ""


def check_scope(kind: str, key: str) -> tuple[str, str]:
    kind = kind if kind in SCOPES else ""
    key = "" if kind == PROGRAM else (key or "")[:120]
    if not kind or not scope_name(kind, key):
        raise DomainError(_l("There is no such group, company, audience or region."), field="scope")
    return kind, key


_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def parse_target(code: str, value, *, total: bool = False) -> int | None:
    """A target typed in a grid cell or read from a spreadsheet: None when blank; a DomainError with a
    translated message for text, negative numbers, fractions of people or a share above 100%."""
    kpi = BY_CODE[code]
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    percent = kpi.kind == SHARE and total
    if isinstance(value, bool):
        raise DomainError(_l("Enter a number."))
    if isinstance(value, int | float):
        text = repr(value) if isinstance(value, float) else str(value)
        if isinstance(value, float) and percent and 0 < value <= 1:
            text = repr(value * 100)  # a spreadsheet's 60% cell is 0.6
    else:
        text = str(value).strip()
        if percent:
            text = text.removesuffix("%")
        text = normalise_number(text[:40]) or ""
    if not _NUMBER.match(text):
        raise DomainError(_l("Enter a number."))
    try:
        number = Decimal(text)
    except InvalidOperation as error:
        raise DomainError(_l("Enter a number.")) from error
    if number < 0:
        raise DomainError(_l("A target cannot be negative."))
    if percent:
        if number > 100:
            raise DomainError(_l("A share cannot be above 100%."))
        return int((number * 100).to_integral_value())
    if kpi.money:
        number = number * 100
    elif number != number.to_integral_value():
        raise DomainError(_l("Enter a whole number."))
    if number > MAX_TARGET:
        raise DomainError(_l("The number is too large."))
    return int(number.to_integral_value())


def targets_for(kind: str, key: str) -> dict[tuple[str, int | None], KpiTarget]:
    rows = db.session.scalars(select(KpiTarget).where(KpiTarget.scope_kind == kind, KpiTarget.scope_key == key))
    return {(row.kpi, row.stage_id): row for row in rows}


def check_plan(values: dict[tuple[str, int | None], int | None]) -> dict[tuple[str, int | None], str]:
    """Rules across cells: a share KPI's stage target (people) cannot exceed the stage's registrations."""
    errors = {}
    for (code, stage_id), value in values.items():
        kpi = BY_CODE.get(code)
        if kpi is None or kpi.kind != SHARE or stage_id is TOTAL or value is None:
            continue
        base = values.get(("registered", stage_id)) if kpi.numerator.startswith("new_") else None
        if base is not None and value > base:
            errors[(code, stage_id)] = str(_l("More people than the stage's registration target (%(base)s): "
                                              "a share cannot be above 100%%.", base=base))
    return errors


def set_targets(kind: str, key: str, values: dict[tuple[str, int | None], int | None], actor,
                source: str = "grid") -> int:
    """Write the given cells (None clears one), keeping a revision of each change. Returns how many changed."""
    existing = targets_for(kind, key)
    changed = 0
    now = utcnow()
    for (code, stage_id), value in values.items():
        row = existing.get((code, stage_id))
        old = row.target if row is not None else None
        if old == value:
            continue
        if value is None:
            db.session.delete(row)
        elif row is None:
            db.session.add(KpiTarget(kpi=code, stage_id=stage_id, scope_kind=kind, scope_key=key, target=value,
                                     original=value, updated_at=now, updated_by_id=actor.id))
        else:
            row.target, row.updated_at, row.updated_by_id = value, now, actor.id
        db.session.add(KpiPlanRevision(kpi=code, stage_id=stage_id, scope_kind=kind, scope_key=key, old_target=old,
                                       new_target=value, source=source, changed_at=now, changed_by_id=actor.id))
        changed += 1
    db.session.flush()
    if changed:
        audit.record(audit.KPI_PLAN_CHANGED, actor=actor, object_type="kpi_plan", object_id=f"{kind}:{key}",
                     changes={"cells": changed, "source": source})
    return changed


def revisions(kind: str | None = None, key: str | None = None, limit: int = 200) -> list[KpiPlanRevision]:
    query = select(KpiPlanRevision).order_by(KpiPlanRevision.changed_at.desc(), KpiPlanRevision.id.desc())
    if kind:
        query = query.where(KpiPlanRevision.scope_kind == kind, KpiPlanRevision.scope_key == (key or ""))
    return list(db.session.scalars(query.limit(limit)))


def stages_without_plan(stages, kind: str = PROGRAM, key: str = "", targets: dict | None = None) -> list:
    """The stages without any target in the scope's plan (`targets` when the caller has read them already)."""
    planned = {stage_id for (_code, stage_id) in (targets_for(kind, key) if targets is None else targets)}
    return [stage for stage in stages if stage.id not in planned]


def grid_codes() -> list[str]:
    return [kpi.code for kpi in KPIS]


def shown_target(code: str, stage_id, value: int | None) -> str:
    """A stored target the way people read it: roubles for money, a percentage for a share's program total."""
    kpi = BY_CODE.get(code)
    if value is None or kpi is None:
        return "—"
    if kpi.kind == SHARE and stage_id is None:
        return f"{number(Decimal(value) / 100)}%"
    return rub(value) if kpi.money else number(value)
