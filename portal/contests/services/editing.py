"""Writing contests: the editor's data, its checks, the leagues it makes, and what a running contest may still
change."""

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from portal.audit import services as audit
from portal.auth.models import AUDIENCES, User
from portal.contests import scoring
from portal.contests.models import (
    BY_AUDIENCE,
    BY_GROUP,
    DRAFT,
    FROZEN,
    MAX_WINNERS,
    METRICS,
    PLAN_METRICS,
    PLAN_PERCENT,
    RUNNING,
    SCHEDULED,
    Contest,
    ContestFrozenScore,
    ContestLeague,
    ContestScore,
)
from portal.contests.services.lifecycle import _log, _require_staff, advance_contest
from portal.core.errors import DomainError
from portal.core.time import utcnow
from portal.extensions import db
from portal.partners.models import PartnerGroup

# Fields a running contest may still change (each change is logged); everything else is fixed at the start.
EDITABLE_WHILE_RUNNING = ("description", "description_en", "ends_at")
TEXTS = ("title", "description", "rules")
ENGLISH_TEXTS = ("title_en", "description_en", "rules_en")  # stored as NULL when empty


@dataclass
class ContestData:
    title: str
    starts_at: datetime
    ends_at: datetime
    metric: str
    description: str = ""
    rules: str = ""
    title_en: str = ""  # optional English versions of the three texts
    description_en: str = ""
    rules_en: str = ""
    freeze_at: datetime | None = None
    plan_metric: str | None = None
    product_ids: list[int] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    audience: str | None = None
    group_ids: list[int] = field(default_factory=list)
    company_ids: list[int] = field(default_factory=list)
    enrolment: str = "auto"
    late_joiners: str = "welcome"
    league_mode: str = "single"
    winners_per_league: int = 3
    prizes: list[dict] = field(default_factory=list)
    min_value: int = 0


def data_of(contest: Contest) -> ContestData:
    """The contest's settings as editor data: a running contest's form changes only two of them."""
    return ContestData(**{name: _stored(contest, name) for name in ContestData.__dataclass_fields__})


def _check(data: ContestData) -> None:
    if not data.title.strip():
        raise DomainError(_l("Give the contest a title."), field="title")
    if data.ends_at <= data.starts_at:
        raise DomainError(_l("The contest must end after it starts."), field="ends_at")
    if data.freeze_at is not None and not data.starts_at < data.freeze_at < data.ends_at:
        raise DomainError(_l("The board can only be frozen between the start and the end."), field="freeze_at")
    if data.metric not in METRICS:
        raise DomainError(_l("Choose what the contest measures."), field="metric")
    if data.metric == PLAN_PERCENT and data.plan_metric not in PLAN_METRICS:
        raise DomainError(_l("Choose which plan the percentage is of."), field="plan_metric")
    if data.audience is not None and data.audience not in AUDIENCES:
        raise DomainError(_l("Choose an audience from the list."), field="audience")
    if data.league_mode == BY_GROUP and not data.group_ids:
        raise DomainError(_l("Choose the partner groups: each becomes a league."), field="group_ids")
    if not 1 <= data.winners_per_league <= MAX_WINNERS:
        raise DomainError(_l("Between 1 and %(n)s winners per league.", n=MAX_WINNERS), field="winners_per_league")
    if len(data.prizes) > data.winners_per_league:
        raise DomainError(_l("More prizes than winners: %(prizes)s prizes for %(winners)s places.",
                             prizes=len(data.prizes), winners=data.winners_per_league), field="prizes")
    if any(p.get("points", 0) < 0 for p in data.prizes):
        raise DomainError(_l("Prize points cannot be negative."), field="prizes")
    if data.min_value < 0:
        raise DomainError(_l("The minimum value cannot be negative."), field="min_value")
    known = set(db.session.scalars(select(PartnerGroup.id).where(PartnerGroup.id.in_(data.group_ids))))
    if set(data.group_ids) - known:
        raise DomainError(_l("One of the groups no longer exists."), field="group_ids")


def _build_leagues(contest: Contest) -> None:
    for model in (ContestScore, ContestFrozenScore):
        db.session.execute(delete(model).where(model.contest_id == contest.id))
    contest.leagues.clear()
    db.session.flush()
    if contest.league_mode == BY_GROUP:
        groups = {g.id: g for g in db.session.scalars(select(PartnerGroup).where(
            PartnerGroup.id.in_(contest.group_ids)))}
        for position, group_id in enumerate(contest.group_ids):
            contest.leagues.append(ContestLeague(position=position, group_id=group_id, name=groups[group_id].name))
    elif contest.league_mode == BY_AUDIENCE:
        audiences = [contest.audience] if contest.audience else list(AUDIENCES)
        for position, audience in enumerate(audiences):
            contest.leagues.append(ContestLeague(position=position, audience=audience))
    else:
        contest.leagues.append(ContestLeague(position=0))


def save_contest(data: ContestData, actor: User, contest: Contest | None = None) -> Contest:
    """Create or change a contest. Drafts and upcoming contests change freely; a running one only its
    description and end date (logged); a finished, final or cancelled one not at all."""
    _require_staff(actor)
    if contest is not None:
        advance_contest(contest)
    if contest is not None and contest.status in (RUNNING, FROZEN):
        return _edit_running(contest, data, actor)
    if contest is not None and contest.status not in (DRAFT, SCHEDULED):
        raise DomainError(_l("A contest that has ended can no longer be changed."))
    _check(data)
    before = audit.snapshot(contest, audit.CONTEST_FIELDS) if contest is not None else None
    if contest is None:
        contest = Contest(created_by_id=actor.id, status=DRAFT)
        db.session.add(contest)
    for name, value in vars(data).items():
        if name in TEXTS:
            value = value.strip()
        elif name in ENGLISH_TEXTS:
            value = value.strip() or None
        setattr(contest, name, value)
    if data.metric != PLAN_PERCENT:
        contest.plan_metric = None
    db.session.flush()
    _build_leagues(contest)
    db.session.flush()
    if contest.status == SCHEDULED:
        scoring.reset_scores(contest)
    audit.record(audit.CONTEST_EDITED if before else audit.CONTEST_CREATED, actor=actor, object_type="contest",
                 object_id=contest.id, changes=audit.diff(before or {}, audit.snapshot(contest, audit.CONTEST_FIELDS)))
    return contest


def _stored(contest: Contest, name: str):
    return (getattr(contest, name) or "") if name in ENGLISH_TEXTS else getattr(contest, name)


def _given(name: str, value):
    return value.strip() if name in TEXTS or name in ENGLISH_TEXTS else value


def _edit_running(contest: Contest, data: ContestData, actor: User) -> Contest:
    frozen_fields = [name for name, value in vars(data).items()
                     if name not in EDITABLE_WHILE_RUNNING and _stored(contest, name) != _given(name, value)
                     and not (name == "plan_metric" and contest.metric != PLAN_PERCENT)]
    if frozen_fields:
        raise DomainError(_l("The contest is running: only its description and end date can change."),
                          field=frozen_fields[0])
    if data.ends_at <= utcnow():
        raise DomainError(_l("The new end date must be in the future."), field="ends_at")
    if contest.freeze_at is not None and data.ends_at <= contest.freeze_at:
        raise DomainError(_l("The contest must end after the board freezes."), field="ends_at")
    if data.description.strip() != contest.description:
        _log(contest, actor, "description", contest.description, data.description.strip())
        contest.description = data.description.strip()
    english = data.description_en.strip() or None
    if english != contest.description_en:
        _log(contest, actor, "description_en", contest.description_en or "", english or "")
        contest.description_en = english
    if data.ends_at != contest.ends_at:
        audit.record(audit.CONTEST_EDITED, actor=actor, object_type="contest", object_id=contest.id,
                     changes={"ends_at": [contest.ends_at, data.ends_at]})
        _log(contest, actor, "ends_at", contest.ends_at.isoformat(sep=" ", timespec="minutes"),
             data.ends_at.isoformat(sep=" ", timespec="minutes"))
        contest.ends_at = data.ends_at
        db.session.flush()
        scoring.reset_scores(contest)  # sales dated in the added (or removed) days count differently now
    db.session.flush()
    return contest
