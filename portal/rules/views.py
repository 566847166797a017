from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from portal.auth.models import AUDIENCE_SHORT_LABELS, STAFF_ROLES
from portal.core.auth import roles_required
from portal.core.errors import DomainError
from portal.core.forms import show_error
from portal.core.pagination import paginate
from portal.core.sql import lower_text
from portal.core.time import today
from portal.extensions import db
from portal.groups.services import all_groups, groups_by_ids
from portal.partners.models import PartnerCompany
from portal.products.models import Product
from portal.products.services import categories, parse_money
from portal.rules import engine, services
from portal.rules.forms import PreviewForm, RuleForm
from portal.rules.models import CAP_PERIOD_LABELS, KIND_LABELS, EarningRule

bp = Blueprint("rules", __name__, template_folder="templates")


def _choices():
    return {"categories": categories(), "groups": all_groups()}


def _data(form: RuleForm) -> services.RuleData:
    return services.RuleData(
        name=form.name.data, kind=form.kind.data, value=form.value.data, product_ids=form.product_ids.data or [],
        categories=form.categories.data or [], company_ids=form.company_ids.data or [],
        group_ids=form.group_ids.data or [],
        audience=form.audience.data or None, valid_from=form.valid_from.data, valid_to=form.valid_to.data,
        priority=form.priority.data, stackable=form.stackable.data, cap_per_claim=form.cap_per_claim.data,
        cap_per_period=form.cap_per_period.data, cap_period=form.cap_period.data, active=form.active.data,
        name_en=form.name_en.data or None,
    )


@bp.get("/console/rules")
@roles_required(*STAFF_ROLES)
def index():
    query = select(EarningRule).order_by(EarningRule.active.desc(), EarningRule.priority.desc(), EarningRule.id)
    q = request.args.get("q", "")[:200].strip()
    if q:
        needle = f"%{q.lower()}%"
        query = query.where(or_(lower_text(EarningRule.name).like(needle),
                                lower_text(EarningRule.name_en).like(needle)))
    return render_template("rules/index.html", page=paginate(query))


@bp.route("/console/rules/new", methods=["GET", "POST"])
@bp.route("/console/rules/<int:rule_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def edit(rule_id=None):
    rule = db.get_or_404(EarningRule, rule_id) if rule_id else None
    form = RuleForm(obj=rule, **_choices())
    if form.validate_on_submit():
        try:
            rule = services.save_rule(_data(form), current_user.id, rule)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The rule is saved."), "success")
            return redirect(url_for("rules.detail", rule_id=rule.id))
    return render_template("rules/form.html", form=form, rule=rule)


@bp.get("/console/rules/<int:rule_id>")
@roles_required(*STAFF_ROLES)
def detail(rule_id):
    rule = db.get_or_404(EarningRule, rule_id)
    preview = PreviewForm(request.args)
    awards = None
    problems = []
    if request.args:
        lines = []
        for number, line in enumerate(preview.lines.entries, start=1):
            sku = (line.form.sku.data or "").strip()
            if not sku:
                continue
            product = db.session.scalar(select(Product).where(Product.sku == sku))
            price = parse_money(line.form.price.data)
            if product is None or not line.form.quantity.data or not price:
                problems.append(_("Line %(n)s: give a known SKU, a quantity and a price.", n=number))
                continue
            lines.append(engine.LineInput(product.id, product.category, line.form.quantity.data, price,
                                          product.cost_kopecks))
        sample = engine.ClaimInput(audience=preview.audience.data or "manager", company_id=None,
                                   invoice_date=preview.invoice_date.data or today(), lines=tuple(lines))
        others = [r for r in services.active_rules() if r.id != rule.id]
        awards = services.score(sample, None, rules=[rule, *others])
    products = {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(rule.product_ids or [])))}
    companies = db.session.scalars(select(PartnerCompany).where(PartnerCompany.id.in_(rule.company_ids or []))).all()
    groups = groups_by_ids(rule.group_ids)
    return render_template(
        "rules/detail.html", rule=rule, preview=preview, awards=awards, problems=problems, products=products,
        companies=companies, groups=groups, kind_labels=KIND_LABELS, period_labels=CAP_PERIOD_LABELS,
        audience_labels=AUDIENCE_SHORT_LABELS, value=Decimal(rule.value).normalize(),
    )
