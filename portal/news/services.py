"""Writing, targeting and publishing news. A scheduled item is published by the worker's job; publishing tells
each person it targets (a notification, and a mail copy when asked, which goes only to those who consented to
news mail) in the same transaction."""

import re
from dataclasses import dataclass, field
from datetime import datetime

import nh3
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from portal.auth.models import AUDIENCES as AUDIENCE_CODES
from portal.auth.models import PARTNER_ROLES, User
from portal.core.errors import DomainError, NotAllowed
from portal.core.fields import INT_MAX
from portal.core.mail import send_email
from portal.core.sql import compare_and_set, insert_ignoring_duplicates
from portal.core.time import utcnow
from portal.extensions import db
from portal.notifications.links import link_to
from portal.notifications.services import notify
from portal.partners.history import group_company_ids_on, group_ids_on
from portal.partners.models import PartnerCompany, PartnerGroup

from .models import AUDIENCES, COMPANIES, EVERYONE, GROUPS, REGIONS, TARGETS, NewsItem, NewsRead

ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "s", "ul", "ol", "li", "h2", "h3", "h4", "blockquote",
                "a", "img", "hr", "figure", "figcaption"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}}
# What a sanitiser would silently drop but a writer should hear about: scripts, event handlers, script links.
_ACTIVE_CONTENT = re.compile(r"<\s*(script|iframe|object|embed|style)\b|\son[a-z]+\s*=|javascript\s*:", re.I)


@dataclass
class NewsData:
    title: str
    body: str
    title_en: str = ""
    body_en: str = ""
    target: str = EVERYONE
    target_values: list = field(default_factory=list)
    publish_at: datetime | None = None  # None: now
    pinned: bool = False
    must_read: bool = False
    mail_copy: bool = False


def _clean_html(html: str, field_name: str) -> str:
    if _ACTIVE_CONTENT.search(html or ""):
        raise DomainError(_l("The text holds a script, an event handler or a javascript: link. Only formatting, "
                             "links and images are allowed: remove them and save again."), field=field_name)
    return nh3.clean(html or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")


def _known_values(target: str, values: list) -> bool:
    """Every value names something that exists (a crafted form cannot target ids that are not there)."""
    values = list(values or [])
    if not values:
        return False
    if target == AUDIENCES:
        return all(v in AUDIENCE_CODES for v in values)
    if target == REGIONS:
        return all(isinstance(v, str) and 0 < len(v) <= 120 for v in values)
    if not all(isinstance(v, int) and 0 < v <= INT_MAX for v in values):
        return False
    model = PartnerGroup if target == GROUPS else PartnerCompany
    return db.session.scalar(select(func.count()).select_from(model).where(model.id.in_(values))) == len(set(values))


def save_news(item: NewsItem | None, data: NewsData, actor: User, now: datetime | None = None) -> NewsItem:
    """Create or change a news item (staff only). A published item keeps its publication. Flushes; an item due
    now is published at once."""
    if not actor.is_staff:
        raise NotAllowed(_l("Only the program team writes news."))
    now = now or utcnow()
    if not (data.title or "").strip():
        raise DomainError(_l("Give the news a title."), field="title")
    if not (data.body or "").strip():
        raise DomainError(_l("Write the text of the news."), field="body")
    if data.target not in TARGETS:
        raise DomainError(_l("Choose who the news is for."), field="target")
    if data.target != EVERYONE and not _known_values(data.target, data.target_values):
        raise DomainError(_l("Choose at least one audience, group, company or region."), field="target")
    published = item is not None and item.published_at is not None
    if data.publish_at is not None and data.publish_at < now and not published:
        raise DomainError(_l("The publication time is in the past: leave it empty to publish now, or choose a "
                             "later time."), field="publish_at")
    body, body_en = _clean_html(data.body, "body"), _clean_html(data.body_en, "body_en")
    if item is None:
        item = NewsItem(created_by_id=actor.id, created_at=now)
        db.session.add(item)
    item.title, item.title_en = data.title.strip(), (data.title_en or "").strip() or None
    item.body, item.body_en = body, body_en if (data.body_en or "").strip() else None
    item.target, item.target_values = data.target, [] if data.target == EVERYONE else list(data.target_values)
    if not published:
        item.publish_at = data.publish_at or now
    item.must_read, item.mail_copy = data.must_read, data.mail_copy
    item.pinned = item.pinned and data.pinned
    db.session.flush()
    if data.pinned and not item.pinned:  # one pinned item: this one takes the place
        db.session.execute(update(NewsItem).where(NewsItem.pinned.is_(True))
                           .values(pinned=False).execution_options(synchronize_session=False))
        item.pinned = True
        db.session.flush()
    if not published and item.publish_at <= now:
        publish_news(item, now)
    return item


def _targeted(item: NewsItem):
    """A select of the ids of the active partner people the item is for, as they belong today."""
    people = select(User.id).where(User.active.is_(True), User.role.in_(PARTNER_ROLES))
    values = item.target_values or []
    if item.target == AUDIENCES:  # users.audience is the person's audience today (its open span)
        people = people.where(User.audience.in_([str(v) for v in values]))
    elif item.target == COMPANIES:
        people = people.where(User.company_id.in_([int(v) for v in values]))
    elif item.target == GROUPS:
        company_ids = {c for group_id in values for c in group_company_ids_on(int(group_id))}
        people = people.where(User.company_id.in_(sorted(company_ids)))
    elif item.target == REGIONS:
        people = people.where(User.company_id.in_(
            select(PartnerCompany.id).where(PartnerCompany.region.in_([str(v) for v in values]))))
    return people


def is_for(item: NewsItem, user: User) -> bool:
    """Whether the person may read the item: staff read everything; others what targets them, once published."""
    if user.is_staff:
        return True
    if item.publish_at > utcnow():
        return False
    return _aims_at(item, user, _GroupsOf(user))


def publish_news(item: NewsItem, now: datetime) -> int:
    """Tell everyone the item targets, once (compare-and-set on published_at). Flushes; returns how many."""
    if not compare_and_set(item, "published_at", None, published_at=now):
        return 0
    told = 0
    link = link_to("news.detail", news_id=item.id)
    for user in db.session.scalars(select(User).where(User.id.in_(_targeted(item))).order_by(User.id)):
        notify(user.id, "news_published", {"id": item.id, "title": item.title}, link)
        if item.mail_copy:
            send_email(user.email, "news/email/news_subject.txt", "news/email/news_body.txt", locale=user.locale,
                       category="news", item=item, user=user, link=link_to("news.detail", news_id=item.id,
                                                                            _external=True))
        told += 1
    db.session.flush()
    return told


def publish_due_news(now: datetime) -> int:
    """The job: publish every scheduled item whose time has come. Commits item by item."""
    told = 0
    for news_id in db.session.scalars(select(NewsItem.id).where(NewsItem.published_at.is_(None),
                                                                NewsItem.publish_at <= now).order_by(NewsItem.id)):
        told += publish_news(db.session.get(NewsItem, news_id), now)
        db.session.commit()
    return told


def news_for(user: User, limit: int | None = None) -> list[NewsItem]:
    """Published items the person may read: the pinned one first, then the newest. One read of the items (and one
    of the company's groups when an item targets groups), the targeting decided here, not one query per item."""
    query = select(NewsItem).where(NewsItem.publish_at <= utcnow()).order_by(
        NewsItem.pinned.desc(), NewsItem.publish_at.desc(), NewsItem.id.desc())
    items = list(db.session.scalars(query))
    if not user.is_staff:
        items = [item for item in items if _aims_at(item, user, _GroupsOf(user))]
    return items[:limit] if limit else items


class _GroupsOf:
    """The person's company's groups today, read once and only if an item asks."""

    def __init__(self, user: User):
        self.user, self._ids = user, None

    def __contains__(self, group_id: int) -> bool:
        if self._ids is None:
            self._ids = group_ids_on(self.user.company_id) if self.user.company_id else frozenset()
        return group_id in self._ids


def _aims_at(item: NewsItem, user: User, groups: _GroupsOf) -> bool:
    """`_targeted(item)` for one person, decided from what is already loaded (the same rules, as they belong today)."""
    if not user.active or user.role not in PARTNER_ROLES:
        return False
    values = item.target_values or []
    if item.target == AUDIENCES:
        return user.audience in {str(v) for v in values}
    if item.target == COMPANIES:
        return user.company_id in {int(v) for v in values}
    if item.target == GROUPS:
        return user.company_id is not None and any(int(v) in groups for v in values)
    if item.target == REGIONS:
        return user.company is not None and user.company.region in {str(v) for v in values}
    return True


def mark_news_read(item: NewsItem, user: User) -> None:
    insert_ignoring_duplicates(NewsRead, [{"news_id": item.id, "user_id": user.id, "read_at": utcnow()}],
                               ["news_id", "user_id"])


def readers(item: NewsItem, viewer: User) -> list[tuple[User, datetime | None]]:
    """Who of the item's people read it and when: a partner admin sees their company, the program team everyone."""
    if not (viewer.is_staff or viewer.is_partner_admin):
        raise NotAllowed(_l("Only partner admins and the program team see who read an announcement."))
    people = select(User).where(User.id.in_(_targeted(item)))
    if not viewer.is_staff:
        people = people.where(User.company_id == viewer.company_id)
    reads = dict(db.session.execute(select(NewsRead.user_id, NewsRead.read_at)
                                    .where(NewsRead.news_id == item.id)).all())
    return [(person, reads.get(person.id)) for person in db.session.scalars(people.order_by(User.full_name))]
