"""Each signal's explanation in words, translated when shown (the stored signal holds only its code and values)."""

from datetime import date

from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from portal.core.formatting import rub

EXPLANATIONS = {
    "same_scan": _l("The very same scan file is attached to %(count)s other claim(s)."),
    "near_scan_other": _l("A near-identical scan image is attached to %(count)s claim(s) of another seller."),
    "near_scan_same": _l("A near-identical scan image is attached to %(count)s other claim(s) of the same seller."),
    "near_text_other": _l("The scan's text is nearly the same as that of %(count)s claim(s) of another company."),
    "near_text_same": _l("The scan's text is nearly the same as that of %(count)s claim(s) of the same company "
                         "with the same invoice date: the same invoice renumbered?"),
    "same_invoice": _l("The same invoice (seller, number and date) is claimed %(count)s more time(s)."),
    "number_reused": _l("Invoice number %(number)s of this seller was claimed before with another date (%(date)s)."),
    "number_ahead": _l("Invoice number %(number)s is far ahead of the company's recent numbers (last %(last)s)."),
    "number_behind": _l("Invoice number %(number)s is far behind the company's recent numbers (first %(first)s) "
                        "but dated later."),
    "day_off": _l("Dated on a weekend or holiday (%(date)s); none of the company's last %(count)s sales was."),
    "round_sum": _l("A round sum: %(total)s with round unit prices."),
    "catalogue_price": _l("%(sku)s at %(price)s: far from the catalogue price %(list)s."),
    "usual_price": _l("%(sku)s at %(price)s: far from the company's usual price %(usual)s."),
    "quantity_spike": _l("A quantity of %(quantity)s: the person's largest line so far was %(usual)s."),
    "amount_spike": _l("A total of %(total)s: more than five times the person's largest sale so far (%(usual)s)."),
    "just_under": _l("The total is just under the large-sale line of %(line)s."),
    "just_under_repeated": _l("%(count)s claims of this person in 30 days just under the large-sale line of "
                              "%(line)s: a sale split to stay under it?"),
    "just_under_cap": _l("%(points)s points by the rule «%(rule)s»: just under its cap of %(cap)s points per claim."),
    "own_company": _l("The customer's INN %(inn)s is the seller's own company."),
    "participant_company": _l("The customer's INN %(inn)s is a participating company (%(company)s)."),
    "customer_many_partners": _l("The customer (INN %(inn)s) is claimed by %(count)s companies within two weeks."),
    "new_large": _l("A large first sale (%(total)s) of a participant with %(earlier)s earlier claim(s)."),
    "velocity": _l("%(count)s claims of this person in 24 hours; usually %(usual)s a day."),
    "company_velocity": _l("%(count)s claims of this company in 24 hours; usually %(usual)s a day."),
    "contest_deadline": _l("Sent %(hours)s hour(s) before the contest «%(contest)s» ends or freezes."),
    "person_fraud": _l("%(count)s earlier claim(s) of this person were decided as fraud."),
    "company_fraud": _l("%(count)s earlier claim(s) of this company's staff were decided as fraud."),
}
MONEY = {"total", "price", "list", "usual", "line"}
MONEY_CODES = {"round_sum", "catalogue_price", "usual_price", "amount_spike", "just_under", "just_under_repeated",
               "new_large"}


def explain(signal: dict) -> str:
    """One stored signal in words, in the reader's language."""
    template = EXPLANATIONS.get(signal.get("code"))
    if template is None:
        return str(signal.get("code"))
    params = dict(signal.get("params") or {})
    if signal.get("code") in MONEY_CODES:
        params.update({key: rub(value) for key, value in params.items() if key in MONEY and isinstance(value, int)})
    if isinstance(params.get("date"), str):
        try:
            params["date"] = format_date(date.fromisoformat(params["date"]))
        except ValueError:
            pass
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)
