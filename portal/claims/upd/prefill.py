"""The claim form filled for the participant: from a UPD, or from the lead a sale closes; and the lead's share
among the expected points as the form is typed."""

from datetime import date
from types import SimpleNamespace

from flask_babel import gettext as _

from portal.auth.models import User
from portal.claims.forms import ClaimForm
from portal.extensions import db
from portal.leads.models import Lead
from portal.leads.services import expected_share, matching_lead

from .importing import UpdDraft, product_label


def _money_text(kopecks: int | None) -> str:
    return f"{kopecks / 100:.2f}".replace(".", ",") if kopecks else ""


def form_from_upd(draft: UpdDraft, user: User) -> ClaimForm:
    """The claim form as the UPD says: number, date, customer, and a line per line of the UPD (a line that names
    no product of the catalogue comes with its article and name, waiting for the participant's choice)."""
    document = draft.document
    form = ClaimForm(formdata=None, data={
        "invoice_number": document.number, "invoice_date": document.date,
        "customer_name": document.customer_name or document.customer_inn, "customer_inn": document.customer_inn,
        "lines": [{"product": product_label(m.product), "quantity": int(m.line.quantity),
                   "price": _money_text(m.line.unit_gross_kopecks), "article": m.line.article,
                   "upd_name": m.line.name} for m in draft.lines],
    })
    while len(form.lines.entries) < 3:
        form.lines.append_entry()
    lead = matching_lead(user, document.customer_inn, document.date)
    form.lead_id.data = str(lead.id) if lead is not None else ""
    return form


def preselect_lead(form: ClaimForm, user: User, raw_lead_id) -> None:
    """A new claim opened from a lead's page: that lead chosen, its customer filled in."""
    text = str(raw_lead_id or "").strip()
    if not text.isdigit() or len(text) > 9:
        return
    if text not in {value for value, _label, _attrs in form.lead_id.choices}:
        return  # not a lead this participant's sale may close
    lead = db.session.get(Lead, int(text))
    form.lead_id.data = text
    form.customer_name.data = lead.customer_name
    form.customer_inn.data = lead.customer_inn


def lead_share_preview(user: User, raw_lead_id, invoice_date: date, lines) -> dict | None:
    """The lead's share of the sale being typed, as a line of the expected points."""
    if not lines:
        return None
    typed = [SimpleNamespace(product_id=line.product_id, product=SimpleNamespace(category=line.category),
                             quantity=line.quantity, unit_price_kopecks=line.unit_price_kopecks,
                             unit_cost_kopecks=line.unit_cost_kopecks) for line in lines]
    found = expected_share(user, raw_lead_id, invoice_date, typed)
    if found is None or found[1] <= 0:
        return None
    lead, points = found
    return {"rule": _("Share of lead #%(id)s", id=lead.id), "points": points}
