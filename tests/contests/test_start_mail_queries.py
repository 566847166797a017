"""The contest start mail finds its people in set-based queries: as many statements for 20 people as for 2."""

from datetime import timedelta

import pytest
from sqlalchemy import event

from portal.contests import services
from portal.contests.models import BY_AUDIENCE, BY_GROUP, OPT_IN
from portal.core.time import utcnow
from portal.extensions import db
from portal.partners.models import AudienceSpan, PartnerCompany
from portal.partners.services import move_participant
from tests.contests import helpers as h


def statements_of(call):
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = call()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return result, len(seen)


def people(make, n, group=None, audience="manager"):
    made = [make.user(audience=audience) for _ in range(n)]
    if group is not None:
        h.group(group, *(db.session.get(type(p.company), p.company_id) for p in made))
    return made


@pytest.mark.parametrize("contest_kwargs", [
    {},
    {"league_mode": BY_AUDIENCE},
    {"audience": "manager"},
    {"enrolment": OPT_IN},
], ids=["everyone", "audience-leagues", "one-audience", "opt-in"])
def test_eligible_people_take_the_same_statements_for_2_and_20_people(db, make, manager, shop, contest_kwargs):
    contest = h.contest(manager, **contest_kwargs)
    people(make, 2)
    db.session.expire_all()
    few, few_statements = statements_of(lambda: services.eligible_people(contest))
    people(make, 18, audience="specialist")
    db.session.expire_all()
    many, many_statements = statements_of(lambda: services.eligible_people(contest))
    assert len(few) == 2 and len(many) == (2 if contest_kwargs.get("audience") else 20)
    assert many_statements == few_statements <= 8


def test_group_contests_count_the_groups_of_every_company_in_one_query(db, make, manager, shop):
    inside = people(make, 2, group="Юг")
    group_id = h.group("Юг").id
    contest = h.contest(manager, league_mode=BY_GROUP, group_ids=[group_id])
    db.session.expire_all()
    few, few_statements = statements_of(lambda: services.eligible_people(contest))
    people(make, 10, group="Юг")
    people(make, 8)  # in no group: not eligible
    db.session.expire_all()
    many, many_statements = statements_of(lambda: services.eligible_people(contest))
    assert [p.id for p in few] == [p.id for p in inside] and len(many) == 12
    assert many_statements == few_statements <= 8


def test_eligible_people_agree_with_may_take_part_person_by_person(db, make, manager, shop):
    """The set-based answer is the per-person rule: audience history, a company that left the group, a newcomer."""
    southern = people(make, 3, group="Юг")
    group = h.group("Юг")
    contest = h.contest(manager, audience="manager", group_ids=[group.id], late_joiners="excluded")
    for person in southern:  # registered before the start, as the demo's people
        person.created_at = utcnow() - timedelta(days=30)
    mover, specialist, newcomer = southern
    # The mover now works for a company outside the group; the specialist's audience history says specialist now.
    other = people(make, 1)[0]
    move_participant(mover, db.session.get(PartnerCompany, other.company_id), manager)
    db.session.add(AudienceSpan(user_id=specialist.id, audience="manager", started_at=utcnow() - timedelta(days=40),
                                ended_at=utcnow() - timedelta(days=1)))
    db.session.add(AudienceSpan(user_id=specialist.id, audience="specialist", started_at=utcnow() - timedelta(days=1)))
    newcomer.created_at = utcnow()
    db.session.flush()
    candidates = [mover, specialist, newcomer, other]
    expected = [p.id for p in candidates if services.may_take_part(contest, p)]
    assert [p.id for p in services.eligible_people(contest)] == expected == []
    extra = people(make, 2, group="Юг")
    for person in extra:
        person.created_at = utcnow() - timedelta(days=30)
    db.session.flush()
    assert [p.id for p in services.eligible_people(contest)] == [p.id for p in extra] == \
        [p.id for p in [*candidates, *extra] if services.may_take_part(contest, p)]
