from datetime import date, timedelta

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal.auth.models import PARTNER_ADMIN, PARTNER_ROLES, STAFF_ROLES

# The review queue's pages (console_views) share the blueprint; importing them here registers their routes.
from portal.claims import (
    console_views,  # noqa: E402, F401
    services,
)
from portal.claims.blueprint import bp
from portal.claims.forms import ClaimForm, RejectForm, ReverseForm, ScanForm, UpdFileForm
from portal.claims.models import STATUS_LABELS, SUBMITTED, Claim, ClaimAward, ClaimEvent, ClaimLine
from portal.claims.scans import PENDING_SCAN, scan_file, store_scan
from portal.claims.upd.importing import document_of
from portal.claims.upd.prefill import lead_share_preview, preselect_lead
from portal.core.auth import roles_required
from portal.core.errors import DomainError
from portal.core.fields import INT_MAX
from portal.core.forms import show_error
from portal.core.pagination import paginate
from portal.core.person_cache import cached_page
from portal.core.time import today
from portal.core.tokens import TokenExpired, TokenInvalid, make_token, read_token
from portal.core.uploads import send_download, send_image_preview
from portal.extensions import db
from portal.leads.forms import claim_lead_choices
from portal.leads.services import claim_lead_share
from portal.partners.history import audience_on
from portal.products.services import find_by_sku, parse_money
from portal.rules import engine
from portal.rules.services import score


def _claim_or_404(claim_id: int) -> Claim:
    """The claim with what its page shows (seller, company, lines and products, events and their actors, awards and
    rules) in four reads, not one per line, event or award."""
    claim = db.session.scalar(select(Claim).where(Claim.id == claim_id).options(
        joinedload(Claim.user), joinedload(Claim.company), selectinload(Claim.lines).joinedload(ClaimLine.product),
        selectinload(Claim.events).joinedload(ClaimEvent.actor),
        selectinload(Claim.awards).joinedload(ClaimAward.rule))) \
        if 0 < claim_id <= INT_MAX else None
    if claim is None:
        abort(404)
    if not services.can_view(current_user, claim):
        abort(404)  # another company's claim does not exist for this user
    return claim


def _data(form: ClaimForm) -> services.ClaimData:
    return services.ClaimData(
        invoice_number=form.invoice_number.data, invoice_date=form.invoice_date.data,
        customer_name=form.customer_name.data, customer_inn=form.customer_inn.data or "",
        lines=[services.LineData(line.form.product.data or "", line.form.quantity.data, line.form.price.kopecks,
                                 article=line.form.article.data or "")
               for line in form.lines.entries],
        lead_id=form.lead_id.data,
    )


def _scan_from(form: ClaimForm) -> tuple[str, str, str] | None:
    """The scan for this submission: a new upload, or the one kept from the previous try of the same form."""
    if form.scan.data and getattr(form.scan.data, "filename", ""):
        return store_scan(form.scan.data.filename, form.scan.data.read())
    if form.pending_scan.data:
        try:
            kept = read_token(PENDING_SCAN, form.pending_scan.data, timedelta(days=1))
        except (TokenExpired, TokenInvalid):
            return None
        if isinstance(kept, dict) and kept.get("user") == current_user.id and len(kept.get("scan") or ()) == 3:
            return tuple(kept["scan"])
    return None


# --- participant ---------------------------------------------------------------------------------


@bp.get("/claims")
@roles_required(*PARTNER_ROLES)
def index():
    """The participant's own sales, rendered once per change of their rows (a claim of theirs, its review), per
    language, day and query string: see portal/core/person_cache.py."""
    person, title = current_user._get_current_object(), _("My sales")

    def render():
        query = services.my_claims(person, request.args.get("status", ""), request.args.get("q", ""))
        return render_template("claims/_listing.html", page=paginate(query), status_labels=STATUS_LABELS,
                               title=title, endpoint="claims.index")

    listing = cached_page(person.id, render, "claims")
    return render_template("claims/index.html", listing=listing, title=title)


@bp.get("/team/claims")
@roles_required(PARTNER_ADMIN)
def team():
    query = services.company_claims(current_user.company_id, request.args.get("status", ""), request.args.get("q", ""))
    return render_template("claims/index.html", page=paginate(query), status_labels=STATUS_LABELS,
                           title=_("Sales of my team"), endpoint="claims.team", team=True)


def _form_for(claim: Claim) -> ClaimForm:
    """The form filled with a saved draft, with room for three lines at least."""
    form = ClaimForm(data={
        "invoice_number": claim.invoice_number, "invoice_date": claim.invoice_date,
        "customer_name": claim.customer_name, "customer_inn": claim.customer_inn or "",
        "lines": [{"product": f"{line.product.sku} — {line.product.display_name}", "quantity": line.quantity,
                   "price": f"{line.unit_price_kopecks / 100:.2f}".replace(".", ",")} for line in claim.lines],
    })
    while len(form.lines.entries) < 3:
        form.lines.append_entry()
    form.lead_id.data = str(claim.lead_id or "")
    return form


def _saved(saved: services.SavedClaim, submit: bool):
    if not submit:
        flash(_("The draft is saved."), "success")
    elif saved.not_submitted is not None:
        flash(_("Saved as a draft, not submitted: %(reason)s", reason=saved.not_submitted), "warning")
        return redirect(url_for("claims.edit", claim_id=saved.claim.id))
    else:
        flash(_("The sale is submitted for review."), "success")
    return redirect(url_for("claims.detail", claim_id=saved.claim.id))


@bp.route("/claims/new", methods=["GET", "POST"])
@bp.route("/claims/<int:claim_id>/edit", methods=["GET", "POST"])
@roles_required(*PARTNER_ROLES)
def edit(claim_id=None):
    claim = _claim_or_404(claim_id) if claim_id else None
    if claim is not None and (claim.user_id != current_user.id or not claim.editable):
        flash(_("A submitted claim cannot be changed."), "warning")
        return redirect(url_for("claims.detail", claim_id=claim.id))
    form = _form_for(claim) if request.method == "GET" and claim is not None else ClaimForm()
    kept_scan = None
    if request.method == "POST":
        valid, scan = form.validate_on_submit(), None
        try:
            scan = _scan_from(form)
        except DomainError as exc:
            show_error(form, exc)
            valid = False
        if valid:
            submit = request.form.get("action") == "submit"
            try:
                saved = services.save_claim(current_user, _data(form), claim, scan=scan, submit=submit)
            except DomainError as exc:
                db.session.rollback()
                show_error(form, exc)
            else:
                db.session.commit()  # the draft is kept whatever the submit step said
                return _saved(saved, submit)
        if scan is not None:
            # The form comes back with an error: the scan is already stored, so it stays attached.
            form.pending_scan.data = make_token(PENDING_SCAN, {"user": current_user.id, "scan": list(scan)})
            kept_scan = scan[1]
    # The lead list is only shown (the field does not check its choices: the service checks the lead), so it is
    # read for a page that is rendered, not for a submission that redirects.
    form.lead_id.choices = claim_lead_choices(current_user)
    if request.method == "GET" and claim is None:
        preselect_lead(form, current_user, request.args.get("lead"))  # "Register a sale" on a lead's page
    return render_template("claims/form.html", form=form, claim=claim, kept_scan=kept_scan,
                           upd_form=UpdFileForm())


@bp.post("/claims/preview")
@roles_required(*PARTNER_ROLES)
def preview():
    """The points a claim being typed would earn now, and why, for the form to show as you type."""
    form = ClaimForm()
    lines = []
    problems = []
    for number, entry in enumerate(form.lines.entries, start=1):
        sku = (entry.form.product.data or "").split(" — ")[0].strip()
        problem = services.line_product_problem(number, sku)
        if problem:
            problems.append({"line": number - 1, "message": str(problem)})
        price = parse_money(entry.form.price.data)
        quantity = entry.form.quantity.data if isinstance(entry.form.quantity.data, int) else None
        if not sku or not quantity or not price or quantity <= 0:
            continue
        product = find_by_sku(sku)
        if product is None or not product.active:
            continue
        lines.append(engine.LineInput(product.id, product.category, quantity, price, product.cost_kopecks))
    invoice_date = form.invoice_date.data if isinstance(form.invoice_date.data, date) else today()
    sample = engine.ClaimInput(audience_on(current_user.id, invoice_date), current_user.company_id, invoice_date,
                               tuple(lines))
    awards = score(sample, current_user.id, awarded=services.awarded_by_rules(current_user.id))
    result = {"total": engine.total_points(awards), "revenue_kopecks": sum(line.revenue_kopecks for line in lines),
              "awards": [{"rule": a.rule_name, "points": a.points} for a in awards]}
    share = lead_share_preview(current_user, form.lead_id.data, invoice_date, lines)
    if share:  # the lead's share of the sale, paid on approval as well
        result["total"] += share["points"]
        result["awards"].append(share)
    if problems:
        result["problems"] = problems  # lines naming no product of the program, flagged as you type
    return jsonify(result)


@bp.get("/claims/<int:claim_id>")
@roles_required(*PARTNER_ROLES, *STAFF_ROLES)
def detail(claim_id):
    claim = _claim_or_404(claim_id)
    staff = current_user.role in STAFF_ROLES
    expected = services.expected_awards(claim) if claim.status in ("draft", "submitted") else None
    return render_template(
        "claims/detail.html", claim=claim, expected=expected, staff=staff,
        twins=services.twins(claim) if staff else [], reject_form=RejectForm(), reverse_form=ReverseForm(),
        not_admitted=services.company_not_admitted(claim) if claim.status == SUBMITTED else None,
        scan_form=ScanForm(), next_id=services.next_to_review(claim) if staff and claim.status != SUBMITTED else None,
        upd=document_of(claim), lead_share=claim_lead_share(claim) if claim.status in ("draft", "submitted") else None,
    )


@bp.post("/claims/<int:claim_id>/attach-scan")
@roles_required(*PARTNER_ROLES)
def attach_scan(claim_id):
    """A draft awaiting its scan (from the API or an import): attach the scan and submit it in one step."""
    claim = _claim_or_404(claim_id)
    form = ScanForm()
    if not form.validate_on_submit():
        flash(_("Choose the scan of the invoice: PDF, JPEG or PNG, up to 10 MB."), "danger")
        return redirect(url_for("claims.detail", claim_id=claim.id))
    try:
        services.attach_scan(claim, current_user, store_scan(form.scan.data.filename, form.scan.data.read()))
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
        return redirect(url_for("claims.detail", claim_id=claim.id))
    db.session.commit()  # the scan stays attached whatever the submit step says
    try:
        services.submit_claim(claim, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(_("Saved as a draft, not submitted: %(reason)s", reason=exc.message), "warning")
        return redirect(url_for("claims.detail", claim_id=claim.id))
    db.session.commit()
    flash(_("The sale is submitted for review."), "success")
    return redirect(url_for("claims.detail", claim_id=claim.id))


@bp.post("/claims/<int:claim_id>/submit")
@roles_required(*PARTNER_ROLES)
def submit(claim_id):
    claim = _claim_or_404(claim_id)
    try:
        services.submit_claim(claim, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    else:
        db.session.commit()
        flash(_("The sale is submitted for review."), "success")
    return redirect(url_for("claims.detail", claim_id=claim.id))


@bp.post("/claims/<int:claim_id>/delete")
@roles_required(*PARTNER_ROLES)
def delete(claim_id):
    claim = _claim_or_404(claim_id)
    try:
        services.delete_draft(claim, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
        return redirect(url_for("claims.detail", claim_id=claim.id))
    db.session.commit()
    flash(_("The draft is deleted."), "info")
    return redirect(url_for("claims.index"))


@bp.get("/claims/<int:claim_id>/scan")
@roles_required(*PARTNER_ROLES, *STAFF_ROLES)
def scan(claim_id):
    claim = _claim_or_404(claim_id)
    path = scan_file(claim.scan_path) if claim.scan_path else None
    if path is None or not path.exists():
        abort(404)
    if request.args.get("preview") == "1" and claim.scan_mimetype.startswith("image/"):
        try:
            return send_image_preview(path, claim.scan_filename)
        except DomainError:
            abort(404)
    return send_download(path, claim.scan_mimetype, claim.scan_filename)
