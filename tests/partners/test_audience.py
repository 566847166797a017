"""A person's audience has dated history: the partner admin or the program decides it, from the day it is made."""

import importlib.util
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from portal.audit.models import AuditEntry
from portal.auth.models import ADMIN, MANAGER, PARTNER_ADMIN, User
from portal.core import events
from portal.core.errors import DomainError, NotAllowed
from portal.core.time import frozen_time, local_day_start, today, utcnow
from portal.partners import audiences, history
from portal.partners.history import audience_on
from portal.partners.models import AudienceSpan


def morning(days_ago: int):
    """09:00 in the program's calendar `days_ago` days ago, as a stored moment."""
    return local_day_start(today() - timedelta(days=days_ago)) + timedelta(hours=9)


def spans_of(db, user):
    return db.session.scalar(select(func.count(AudienceSpan.id)).where(AudienceSpan.user_id == user.id))


def test_audience_counts_from_the_program_day_after_it_is_changed(db, make):
    manager = make.user(role=MANAGER)
    with frozen_time(morning(30)):
        seller = make.user(audience="manager")
    with frozen_time(morning(10) + timedelta(hours=6)):  # 15:00 on that day
        audiences.change_audience(seller, "specialist", manager)
    assert seller.audience == "specialist"  # the current value stays in step
    day = today() - timedelta(days=10)
    # The day of the change was already being counted for the old audience: the new one counts from the next day.
    assert audience_on(seller.id, day - timedelta(days=1)) == "manager"
    assert audience_on(seller.id, day) == "manager"
    assert audience_on(seller.id, local_day_start(day) + timedelta(hours=20)) == "manager"  # that evening
    assert audience_on(seller.id, day + timedelta(days=1)) == "specialist"
    assert audience_on(seller.id, local_day_start(day + timedelta(days=1))) == "specialist"  # from midnight
    assert audience_on(seller.id, today()) == "specialist"
    assert audience_on(seller.id, today() - timedelta(days=40)) == "manager"  # before registering: the first one
    history = audiences.audience_history(seller)
    tomorrow = local_day_start(day + timedelta(days=1))
    assert [(s.audience, s.started_at, s.ended_at, s.changed_by_id) for s in history] == [
        ("specialist", tomorrow, None, manager.id),
        ("manager", seller.created_at, tomorrow, None),
    ]


def test_two_changes_on_one_day_keep_both_and_the_last_counts(db, make):
    manager = make.user(role=MANAGER)
    with frozen_time(morning(3)):
        seller = make.user(audience="manager")
        audiences.change_audience(seller, "specialist", manager)
    with frozen_time(morning(3) + timedelta(hours=2)):
        audiences.change_audience(seller, "manager", manager)
    assert spans_of(db, seller) == 3
    assert audience_on(seller.id, today() - timedelta(days=3)) == "manager"
    assert audience_on(seller.id, today() - timedelta(days=2)) == "manager"
    assert seller.audience == "manager"


def test_without_spans_the_current_value_is_read(db, make):
    staff = make.user(role=MANAGER)
    seller = make.user(audience="specialist")  # made without a span, as staff and older accounts are
    assert audience_on(staff.id, today()) is None
    assert audience_on(seller.id, today() - timedelta(days=3)) == "specialist"


def test_same_audience_again_is_refused_without_a_new_span(db, make):
    manager = make.user(role=MANAGER)
    seller = make.user(audience="manager")
    with pytest.raises(DomainError, match="уже в аудитории") as caught:
        audiences.change_audience(seller, "manager", manager)
    assert caught.value.field == "audience"
    assert spans_of(db, seller) == 0


@pytest.mark.parametrize("value", ["boss", "", None, "Manager"])
def test_unknown_audience_is_refused(db, make, value):
    manager = make.user(role=MANAGER)
    seller = make.user(audience="manager")
    with pytest.raises(DomainError, match="Выберите аудиторию") as caught:
        audiences.change_audience(seller, value, manager)
    assert caught.value.field == "audience"
    assert seller.audience == "manager" and spans_of(db, seller) == 0


def test_a_change_takes_effect_today_only(db, make):
    manager = make.user(role=MANAGER)
    with frozen_time(morning(5)):
        seller = make.user(audience="manager")
    with pytest.raises(DomainError, match="в будущем"):
        audiences.change_audience(seller, "specialist", manager, effective=today() + timedelta(days=1))
    with pytest.raises(DomainError, match="раньше регистрации"):
        audiences.change_audience(seller, "specialist", manager, effective=today() - timedelta(days=6))
    with pytest.raises(DomainError, match="задним числом"):
        audiences.change_audience(seller, "specialist", manager, effective=today() - timedelta(days=2))
    assert seller.audience == "manager" and spans_of(db, seller) == 0
    audiences.change_audience(seller, "specialist", manager, effective=today())
    assert seller.audience == "specialist"


def test_who_may_change_an_audience(db, make):
    company = make.company()
    head = make.user(role=PARTNER_ADMIN, company=company)
    colleague = make.user(company=company, audience="manager")
    stranger = make.user(audience="manager")  # another company
    with pytest.raises(NotAllowed):
        audiences.change_audience(stranger, "specialist", head)
    with pytest.raises(NotAllowed):
        audiences.change_audience(head, "specialist", head)  # not one's own
    with pytest.raises(NotAllowed):
        audiences.change_audience(head, "specialist", colleague)  # a participant decides nobody's
    with pytest.raises(NotAllowed):
        audiences.change_audience(colleague, "specialist", colleague)
    assert stranger.audience == colleague.audience == head.audience == "manager"
    audiences.change_audience(colleague, "specialist", head)
    audiences.change_audience(head, "specialist", make.user(role=ADMIN))
    assert (colleague.audience, head.audience) == ("specialist", "specialist")


def test_a_staff_account_has_no_audience(db, make):
    admin = make.user(role=ADMIN)
    staff = make.user(role=MANAGER)
    with pytest.raises(DomainError, match="команды программы"):
        audiences.change_audience(staff, "manager", admin)
    assert staff.audience is None and spans_of(db, staff) == 0


def test_a_change_sends_an_event_in_its_transaction_and_is_audited(db, make):
    manager = make.user(role=MANAGER)
    seller = make.user(audience="manager")
    received = []

    def receiver(user, **extra):
        received.append((user.id, extra["old_audience"], extra["new_audience"], extra["effective"],
                         extra["actor"].id, audience_on(user.id, today()), audience_on(user.id, extra["effective"])))

    with events.audience_changed.connected_to(receiver):
        audiences.change_audience(seller, "specialist", manager)
    tomorrow = today() + timedelta(days=1)
    assert received == [(seller.id, "manager", "specialist", tomorrow, manager.id, "manager", "specialist")]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.audience_changed"))
    assert (entry.actor_id, entry.object_type, entry.object_id) == (manager.id, "user", str(seller.id))
    assert entry.changes["audience"] == ["manager", "specialist"]


def test_the_database_keeps_one_open_span_and_sane_values(db, make):
    seller = make.user(audience="manager")
    now = utcnow()
    db.session.add(AudienceSpan(user_id=seller.id, audience="manager", started_at=now))
    db.session.flush()
    bad_rows = [
        dict(audience="specialist", started_at=now),  # a second open span
        dict(audience="boss", started_at=now, ended_at=now + timedelta(days=1)),
        dict(audience="manager", started_at=now, ended_at=now - timedelta(days=1)),  # ends before it starts
    ]
    for row in bad_rows:
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.add(AudienceSpan(user_id=seller.id, **row))
            db.session.flush()


def test_the_migration_backfills_one_open_span_per_partner_person(db, make):
    with frozen_time(morning(7)):
        seller = make.user(audience="specialist")
    make.user(role=MANAGER)
    path = Path(__file__).parents[2] / "migrations" / "versions" / "0023_audience_history.py"
    spec = importlib.util.spec_from_file_location("migration_0023", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    db.session.execute(text(migration.BACKFILL))
    db.session.execute(text(migration.BACKFILL))  # run twice: nobody gets a second span
    spans = db.session.scalars(select(AudienceSpan)).all()
    assert [(s.user_id, s.audience, s.started_at, s.ended_at) for s in spans] == [
        (seller.id, "specialist", seller.created_at, None)]


def test_audiences_of_many_people_agree_with_audience_on_for_each(db, make):
    """The set-based reading (the contest start mail's) gives each person's audience_on, on every kind of day."""
    manager = make.user(role=MANAGER)
    with frozen_time(morning(30)):
        changed = make.user(audience="manager")
    with frozen_time(morning(10)):
        audiences.change_audience(changed, "specialist", manager)
    with frozen_time(morning(3)):
        twice = make.user(audience="manager")
        audiences.change_audience(twice, "specialist", manager)
    with frozen_time(morning(3) + timedelta(hours=2)):
        audiences.change_audience(twice, "manager", manager)
    without_spans = make.user(audience="specialist")
    people = [changed.id, twice.id, without_spans.id, manager.id]
    for when in (today() - timedelta(days=40), today() - timedelta(days=10), today() - timedelta(days=9),
                 today() - timedelta(days=3), today(), morning(10) + timedelta(hours=1), utcnow()):
        found = history.audiences_on(people, when)  # a person with no audience that day may be left out
        assert {person: found.get(person) for person in people} == \
            {person: audience_on(person, when) for person in people}, when
    found = history.audiences_on(select(User.id).where(User.id.in_(people)), today())
    assert {person: found.get(person) for person in people} == \
        {person: audience_on(person, today()) for person in people}
