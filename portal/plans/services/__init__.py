"""Sales plans, one module per job: targets (set by hand or copied), defaults (one target for many, pro-rated for
newcomers), progress against approved sales, and a company's plan as a whole (company). Actuals are kept in
plans/actuals.py; imports from spreadsheets live in plans/imports.py. Callers import the functions from here."""

from portal.plans.services.company import (
    company_for_plan,
    company_plans_in,
    company_progress,
    current_company_plans,
    delete_company_plan,
    find_company_plan,
    set_company_plan,
)
from portal.plans.services.defaults import (
    DefaultResult,
    apply_defaults_to,
    defaults_for,
    materialise_default,
    prorated,
    set_default,
)
from portal.plans.services.progress import (
    CompanyProgress,
    Progress,
    company_ranking,
    current_plans,
    export_rows,
    pace_fraction,
    past_plans,
    plan_targets,
    search_plans,
    with_progress,
)
from portal.plans.services.targets import (
    MAX_TARGET,
    copy_previous_period,
    delete_plan,
    find_plan,
    parse_target,
    set_plan,
)

__all__ = [
    "MAX_TARGET", "CompanyProgress", "DefaultResult", "Progress", "apply_defaults_to", "company_for_plan",
    "company_plans_in", "company_progress", "company_ranking", "current_company_plans", "delete_company_plan",
    "find_company_plan", "set_company_plan",
    "copy_previous_period", "current_plans", "defaults_for", "delete_plan", "export_rows", "find_plan",
    "materialise_default", "pace_fraction", "parse_target", "past_plans", "plan_targets", "prorated", "search_plans",
    "set_default", "set_plan", "with_progress",
]
