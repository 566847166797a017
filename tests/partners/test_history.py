"""Where people belonged on a day, asked for many people at once, answers as the one-person question does."""

from datetime import date, datetime, timedelta

from sqlalchemy import update

from portal.partners import history
from portal.partners.models import CompanyMembership


def test_companies_on_answers_as_company_on_for_each_person_and_day(db, make):
    first, second = make.company(), make.company()
    stayed = make.user(company=first)
    moved = make.user(company=first)
    later = make.user(company=second)
    start = datetime(2026, 1, 1, 12)
    db.session.execute(update(CompanyMembership).values(started_at=start))
    db.session.execute(update(CompanyMembership).where(CompanyMembership.user_id == later.id)
                       .values(started_at=start + timedelta(days=50)))
    # `moved` left the first company on 10 February and works for the second from then on.
    db.session.execute(update(CompanyMembership).where(CompanyMembership.user_id == moved.id)
                       .values(ended_at=datetime(2026, 2, 10, 9)))
    db.session.add(CompanyMembership(user_id=moved.id, company_id=second.id, started_at=datetime(2026, 2, 10, 9)))
    db.session.flush()
    people = [stayed.id, moved.id, later.id]
    for day in (date(2025, 12, 31), date(2026, 1, 1), date(2026, 2, 9), date(2026, 2, 10), date(2026, 3, 1),
                datetime(2026, 2, 10, 8, 59)):
        expected = {p: history.company_on(p, day) for p in people if history.company_on(p, day) is not None}
        assert history.companies_on(people, day) == expected, day
    assert history.companies_on(people, date(2026, 2, 10)) == {stayed.id: first.id, moved.id: second.id}


def test_audiences_on_answers_as_audience_on_for_each_person_and_day(db, make):
    from portal.partners.models import AudienceSpan

    changed, kept, spanless = make.user(audience="specialist"), make.user(audience="manager"), make.user()
    db.session.execute(AudienceSpan.__table__.delete())
    db.session.add_all([
        AudienceSpan(user_id=changed.id, audience="specialist", started_at=datetime(2026, 1, 1, 12),
                     ended_at=datetime(2026, 3, 1, 9)),
        AudienceSpan(user_id=changed.id, audience="manager", started_at=datetime(2026, 3, 1, 9)),
        AudienceSpan(user_id=kept.id, audience="manager", started_at=datetime(2026, 1, 1, 12))])
    db.session.flush()
    people = [changed.id, kept.id, spanless.id]
    for day in (date(2025, 6, 1), date(2026, 2, 28), date(2026, 3, 1), datetime(2026, 3, 1, 8), date(2026, 5, 1)):
        expected = {p: history.audience_on(p, day) for p in people if history.audience_on(p, day) is not None}
        assert history.audiences_on(people, day) == expected, day
    assert history.audiences_on(people, date(2025, 6, 1))[changed.id] == "specialist"  # before the first span
