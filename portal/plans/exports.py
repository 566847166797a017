"""Sales plans with their progress as a table: target, actual, completion and where a steady seller would be by
today, money in roubles."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.core.exports import INT, MONEY, PERCENT, Column, Table, Typed

SOURCE_LABELS = {"manual": _l("set by hand"), "import": _l("imported"), "copy": _l("copied"),
                 "default": _l("default plan")}


def plans_table(progress: list, period) -> Table:
    """`progress`: the plans' Progress items (services.with_progress)."""
    yes, no = _("yes"), _("no")
    rows = []
    for item in progress:
        plan, user = item.plan, item.plan.user
        kind = MONEY if item.is_money else INT
        rows.append([user.full_name, user.email, user.company.name if user.company else "", plan.metric_label,
                     Typed(plan.target, kind), Typed(item.actual, kind), item.percent, Typed(item.expected, kind),
                     yes if item.behind else no, str(SOURCE_LABELS.get(plan.source, plan.source))])
    return Table(filename=f"plans-{period.key}", sheet_title=str(period.label), header=[
        Column(_("Participant")), Column(_("Email")), Column(_("Company")), Column(_("Metric")), Column(_("Target")),
        Column(_("Actual")), Column(_("Plan done"), PERCENT), Column(_("Expected by today")),
        Column(_("Behind pace")), Column(_("Source"))], rows=rows, total=len(rows))
