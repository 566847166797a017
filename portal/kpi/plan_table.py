"""The plan table as people write it: which column is which (KPI, whole-period target, a stage by its name or
month), which KPI a row names (its label in either language, its code or a common synonym), and the same table
written back out so that an export re-imports unchanged."""

import difflib
import re
from datetime import date, datetime

from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.core.params import clean_text
from portal.kpi import grid, plan
from portal.kpi.kpis import KPIS, SHARE

KPI_HEADERS = {"kpi", "кпэ", "kpi / stage", "kpi type", "тип kpi", "тип кпэ", "показатель", "метрика", "kpi name",
               "название kpi", "название кпэ"}
COMPANY_HEADERS = {"company", "компания", "инн", "inn", "партнёр", "партнер"}
TOTAL_HEADERS = {"program target", "program total", "total", "итого", "цель программы", "цель", "план программы",
                 "main kpi", "основной kpi", "основной кпэ", "whole period", "за период", "за весь период",
                 "весь период", "на период", "plan for the period", "план на период"}
MONTHS = {
    1: ("jan", "january", "янв", "январь", "января"), 2: ("feb", "february", "фев", "февраль", "февраля"),
    3: ("mar", "march", "мар", "март", "марта"), 4: ("apr", "april", "апр", "апрель", "апреля"),
    5: ("may", "май", "мая"), 6: ("jun", "june", "июн", "июнь", "июня"), 7: ("jul", "july", "июл", "июль", "июля"),
    8: ("aug", "august", "авг", "август", "августа"), 9: ("sep", "sept", "september", "сен", "сент", "сентябрь",
                                                        "сентября"),
    10: ("oct", "october", "окт", "октябрь", "октября"), 11: ("nov", "november", "ноя", "нояб", "ноябрь", "ноября"),
    12: ("dec", "december", "дек", "декабрь", "декабря"),
}
# What planning tables call the KPIs, besides their labels (both languages) and codes. The program's own table
# names its three rows «Число зарегистрированных в программе партнеров», «Активно участвуют, регистрируют
# продажи» and «Проходят обучение».
SYNONYMS = {
    "registered": ("число зарегистрированных в программе партнеров", "число зарегистрированных",
                   "зарегистрировано", "зарегистрированные", "регистрации", "регистрация", "registrations",
                   "registered", "partners registered", "staff registered"),
    "active": ("активно участвуют, регистрируют продажи", "активно участвуют", "регистрируют продажи", "активные",
               "активные участники", "active", "active participants", "actively selling", "registering sales"),
    "trained": ("проходят обучение", "обучение", "обучены", "обученные", "прошли обучение", "trained", "training",
                "in training", "completing training"),
    "selling": ("продающие", "продают", "selling", "selling in the stage"),
    "claims_approved": ("продажи", "одобренные продажи", "количество продаж", "sales", "approved sales"),
    "sales_amount": ("выручка", "оборот", "сумма продаж, руб", "revenue", "turnover"),
    "margin": ("маржа, руб", "маржинальность"),
    "units": ("штуки", "количество единиц", "единиц продано", "units"),
    "courses_passed": ("курсы", "пройдено курсов", "courses"),
    "leads_qualified": ("лиды", "квалифицированные лиды", "leads"),
    "points_issued": ("баллы", "начислено баллов", "points"),
    "registered_total": ("всего зарегистрировано", "всего участников", "registered in total"),
    "active_companies": ("активные компании", "продающие компании", "active companies"),
}
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def _norm(text: str) -> str:
    text = text.lower().replace("ё", "е").replace("\u00a0", " ")
    text = re.sub(r"[«»\"'.:]", "", text)
    return re.sub(r"\s+", " ", text).strip()


def cell_text(value) -> str:
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(value).strip()[:200]


def column_kind(title: str) -> str | None:
    """'kpi', 'company' or 'total' for those columns' headers, else None (a stage column, or an unknown one)."""
    low = _norm(title)
    for kind, names in (("kpi", KPI_HEADERS), ("company", COMPANY_HEADERS), ("total", TOTAL_HEADERS)):
        if low in {_norm(n) for n in names}:
            return kind
    return None


def stage_of(title: str, all_stages) -> tuple[object | None, str]:
    """The stage a column's header names (its name, 2026-04, «Апрель 2026», «Apr», «июнь»): (stage, '') or
    (None, why not)."""
    low = _norm(title)
    for stage in all_stages:
        if low in (_norm(stage.name), stage.starts_on.strftime("%Y-%m"), stage.starts_on.isoformat(),
                   _norm(format_date(stage.starts_on, "LLLL y"))):
            return stage, ""
    match = _YEAR_MONTH.match(low)
    month, year = None, None
    if match:
        year, month = int(match.group(1)), int(match.group(2))
    else:
        word, _sep, rest = low.partition(" ")
        month = next((m for m, names in MONTHS.items() if word in names), None)
        year = int(rest) if rest.isdigit() else None
    if month is None:
        return None, str(_l("Column «%(title)s»: neither a stage's name nor a month.", title=title))
    found = [s for s in all_stages if s.starts_on.month == month and (year is None or s.starts_on.year == year)]
    if len(found) > 1:
        return None, str(_l("Column «%(title)s»: several stages begin in this month; add the year (e.g. "
                            "%(example)s).", title=title, example=found[0].starts_on.strftime("%Y-%m")))
    if not found:
        span = f"{all_stages[0].name} – {all_stages[-1].name}" if all_stages else "—"
        return None, str(_l("Column «%(title)s»: this month is outside the program's stages (%(span)s).",
                            title=title, span=span))
    return found[0], ""


def _kpi_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for kpi in KPIS:
        names[_norm(kpi.code)] = kpi.code
        for locale in ("ru", "en"):
            with force_locale(locale):
                names[_norm(str(kpi.label))] = kpi.code
        for synonym in SYNONYMS.get(kpi.code, ()):
            names.setdefault(_norm(synonym), kpi.code)
    return names


def kpi_of(label: str) -> tuple[str | None, str]:
    """The KPI a row names: (code, '') or (None, a message with the nearest names)."""
    names = _kpi_names()
    low = _norm(label)
    if low in names:
        return names[low], ""
    if not low:
        return None, str(_l("no KPI named in this row"))
    close = difflib.get_close_matches(low, list(names), n=3, cutoff=0.6)
    labels = []
    for name in close:
        shown = str(plan.BY_CODE[names[name]].label)
        if shown not in labels:
            labels.append(shown)
    if labels:
        return None, str(_l("unknown KPI «%(label)s»: did you mean %(names)s?", label=label,
                            names=", ".join(f"«{n}»" for n in labels)))
    return None, str(_l("unknown KPI «%(label)s» (the KPIs: %(names)s)", label=label,
                        names=", ".join(f"«{k.label}»" for k in KPIS)))


def table_of_plan(kind: str, key: str, all_stages) -> tuple[list[str], list[list]]:
    """The plan of one scope as the import reads it: a KPI per row, the whole-period target, a column per stage;
    share totals as percentages, money in roubles, blank where there is no target."""
    targets = plan.targets_for(kind, key)
    header = [_("KPI"), _("Program target"), *(stage.name for stage in all_stages)]
    rows = []
    for kpi in KPIS:
        line = [str(kpi.label)]
        for stage_id in [None, *(stage.id for stage in all_stages)]:
            row = targets.get((kpi.code, stage_id))
            text = grid.shown_cell(kpi.code, row.target if row else None, stage_id is None)
            if text and stage_id is None and kpi.kind == SHARE:
                text += "%"
            line.append(int(text) if text.isdigit() else text)
        rows.append(line)
    return header, rows
