"""The News section, an item's page, the program team's editor, and who read a must-read announcement."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import to_user_timezone, to_utc
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from portal.auth.models import STAFF_ROLES
from portal.core.auth import roles_required
from portal.core.errors import DomainError
from portal.core.forms import show_error
from portal.extensions import db
from portal.partners.models import PartnerCompany, PartnerGroup

from . import services
from .forms import NewsForm
from .models import AUDIENCES, COMPANIES, GROUPS, REGIONS, TARGET_LABELS, NewsItem

bp = Blueprint("news", __name__, template_folder="templates", url_prefix="/news")
VALUE_FIELDS = {AUDIENCES: "audiences", GROUPS: "groups", COMPANIES: "companies", REGIONS: "regions"}


@bp.app_context_processor
def _home_news():
    def latest_news(limit: int = 3):
        if not (current_user and current_user.is_authenticated):
            return []
        return services.news_for(current_user, limit)
    return {"latest_news": latest_news}


@bp.get("/")
@login_required
def index():
    return render_template("news/index.html", items=services.news_for(current_user))


@bp.get("/<int:news_id>")
@login_required
def detail(news_id):
    item = db.get_or_404(NewsItem, news_id)
    if not services.is_for(item, current_user):
        abort(404)
    if not current_user.is_staff:
        services.mark_news_read(item, current_user)
        db.session.commit()
    return render_template("news/detail.html", item=item)


@bp.get("/<int:news_id>/readers")
@login_required
def readers(news_id):
    item = db.get_or_404(NewsItem, news_id)
    if not item.must_read or not (current_user.is_staff or current_user.is_partner_admin):
        abort(404)
    return render_template("news/readers.html", item=item, rows=services.readers(item, current_user))


@bp.get("/manage")
@roles_required(*STAFF_ROLES)
def manage():
    items = db.session.scalars(select(NewsItem).order_by(NewsItem.publish_at.desc(), NewsItem.id.desc())).all()
    return render_template("news/manage.html", items=items, target_labels=TARGET_LABELS)


def _choices(form: NewsForm) -> None:
    form.groups.choices = [SelectChoice(g.id, g.name)
                           for g in db.session.scalars(select(PartnerGroup).order_by(PartnerGroup.name))]
    form.companies.choices = [SelectChoice(c.id, c.name) for c in db.session.scalars(
        select(PartnerCompany).order_by(PartnerCompany.name))]
    form.regions.choices = [SelectChoice(r, r) for r in db.session.scalars(
        select(PartnerCompany.region).where(PartnerCompany.region != "").distinct().order_by(PartnerCompany.region))]


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:news_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def edit(news_id=None):
    item = db.get_or_404(NewsItem, news_id) if news_id else None
    form = NewsForm(obj=item)
    _choices(form)
    if item is not None and not form.is_submitted():
        field = VALUE_FIELDS.get(item.target)
        if field:
            getattr(form, field).data = item.target_values
        form.publish_at.data = to_user_timezone(item.publish_at).replace(tzinfo=None)
    if form.validate_on_submit():
        field = VALUE_FIELDS.get(form.target.data)
        data = services.NewsData(
            title=form.title.data, title_en=form.title_en.data or "", body=form.body.data,
            body_en=form.body_en.data or "", target=form.target.data,
            target_values=list(getattr(form, field).data or []) if field else [],
            publish_at=to_utc(form.publish_at.data).replace(tzinfo=None) if form.publish_at.data else None,
            pinned=form.pinned.data, must_read=form.must_read.data, mail_copy=form.mail_copy.data)
        try:
            saved = services.save_news(item, data, current_user)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The news is saved."), "success")
            return redirect(url_for("news.detail", news_id=saved.id))
    return render_template("news/edit.html", form=form, item=item)
