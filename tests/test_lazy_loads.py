"""The lazy-load guard used by the statement-budget walk (tests/lazy_loads.py) sees what it should, and only that."""

from flask import render_template_string
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.auth.models import User
from tests.lazy_loads import watch_lazy_loads


def _person_id(db, make) -> int:
    person_id = make.user().id
    db.session.expunge_all()  # a fresh session's view of the person, as a request has
    return person_id


def test_a_relationship_loaded_by_the_template_is_recorded_with_the_template(app, db, make):
    person_id = _person_id(db, make)
    with watch_lazy_loads(app) as loads:
        person = db.session.get(User, person_id)
        html = render_template_string("{{ person.company.name }}", person=person)
    assert "Партнёр" in html
    assert {what for _template, what in loads.found} == {"User.company"}


def test_an_expired_column_read_by_the_template_is_recorded(app, db, make):
    person_id = _person_id(db, make)
    with watch_lazy_loads(app) as loads:
        person = db.session.get(User, person_id)
        db.session.expire(person)
        render_template_string("{{ person.full_name }}", person=person)
    assert {what for _template, what in loads.found} == {"User(columns)"}


def test_what_the_view_loaded_and_lazy_loads_outside_rendering_are_not_recorded(app, db, make):
    person_id = _person_id(db, make)
    with watch_lazy_loads(app) as loads:
        person = db.session.scalar(select(User).options(joinedload(User.company)).where(User.id == person_id))
        other = db.session.get(User, person_id)
        db.session.expire(other, ["company"])
        assert other.company is not None  # a lazy load in the view: the view's own business
        render_template_string("{{ person.company.name }}", person=person)
    assert loads.found == set()
