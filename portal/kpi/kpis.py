"""The KPIs, defined in code. Each has a kind:

- COUNT: how many (or how much) in the stage; cumulative is the sum of the stages.
- SHARE: people with something (numerator) among people registered (denominator), counted apart and
  divided only for display, never an average of percentages. A stage's target is a number of people;
  the program total's target is a percentage of everyone registered.
- LEVEL: a state at the end of the stage; cumulative is the last stage's level.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

COUNT, SHARE, LEVEL = "count", "share", "level"


@dataclass(frozen=True)
class Kpi:
    code: str
    kind: str
    label: object
    help: object
    money: bool = False
    numerator: str = ""  # counter column (count and share kinds)
    denominator: str = ""  # share kind: counter column of the people it is a share of
    program_only: bool = False  # counted for the whole program, not per company, group or region
    # A share's counter summed over stages for a total when the numerator would count a person once per stage.
    total_numerator: str = ""


KPIS: list[Kpi] = [
    Kpi("registered", COUNT, _l("Partners' staff registered"), _l("New participants registered in the stage."),
        numerator="registered"),
    Kpi("active", SHARE, _l("Actively registering sales"),
        _l("Participants whose first approved sale (by invoice date) falls in the stage; the share is of "
           "everyone registered by the stage's end."),
        numerator="new_active", denominator="registered_total"),
    Kpi("trained", SHARE, _l("Completing training"),
        _l("Participants who passed their first course in the stage; the share is of everyone registered by "
           "the stage's end."),
        numerator="new_trained", denominator="registered_total"),
    Kpi("selling", SHARE, _l("Registered participants selling in the stage"),
        _l("Participants with at least one approved sale in the stage, of everyone registered by its end; over "
           "several stages each person counts once."),
        numerator="active_people", denominator="registered_total", total_numerator="first_selling"),
    Kpi("claims_approved", COUNT, _l("Sales approved"), _l("Approved sales by invoice date."),
        numerator="claims_approved"),
    Kpi("sales_amount", COUNT, _l("Sales amount"), _l("Revenue of approved sales, RUB."), money=True,
        numerator="sales_amount"),
    Kpi("margin", COUNT, _l("Margin"), _l("Margin of approved sales, RUB."), money=True, numerator="margin"),
    Kpi("units", COUNT, _l("Units sold"), _l("Units in approved sales."), numerator="units"),
    Kpi("courses_passed", COUNT, _l("Courses passed"), _l("First passes of courses."), numerator="courses_passed"),
    Kpi("leads_qualified", COUNT, _l("Qualified leads"), _l("Leads qualified by the program team."),
        numerator="leads_qualified"),
    Kpi("points_issued", COUNT, _l("Points issued"), _l("Points credited, net of reversals."),
        numerator="points_issued", program_only=True),
    Kpi("registered_total", LEVEL, _l("Participants registered in total"),
        _l("Everyone registered by the end of the stage (moves between companies counted)."),
        numerator="registered_total"),
    Kpi("active_companies", LEVEL, _l("Companies with a selling participant"),
        _l("Companies with at least one approved sale in the stage."), numerator="active_companies"),
]
BY_CODE = {kpi.code: kpi for kpi in KPIS}
# The three rows of the program's plan table, shown first.
PLAN_TABLE = ("registered", "active", "trained")


def kpi(code: str) -> Kpi | None:
    return BY_CODE.get(code)
