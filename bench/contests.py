"""A contest board of 100,000 participants fed by 1,000,000 sales lines: top 50, my position, finalisation."""

import random
import time
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import insert, select, text

from bench.harness import add_people, bench_app, page_getter, timed
from portal.auth.models import MANAGER, User
from portal.contests import boards, services
from portal.contests.models import FINISHED, Contest, ContestLeague, ContestScore
from portal.core.inn import make_inn
from portal.core.time import frozen_time, utcnow
from portal.extensions import db
from portal.partners.models import APPROVED, PartnerCompany

PEOPLE = 100_000
SALES_LINES = 1_000_000


def build(rng: random.Random) -> tuple[int, int]:
    now = utcnow()
    db.session.execute(insert(PartnerCompany), [
        {"inn": make_inn(f"6{i:08d}"), "name": f"ООО «Партнёр {i}»", "region": "Москва", "status": APPROVED,
         "created_at": now} for i in range(500)
    ])
    add_people(PEOPLE, email="p{i}@bench.test", full_name="Участник {i}", company_ids=500)
    db.session.commit()
    manager = db.session.scalar(select(User).where(User.role == MANAGER))
    with frozen_time(now - timedelta(days=31)):
        contest = services.save_contest(services.ContestData(
            title="Большой конкурс", starts_at=now - timedelta(days=30), ends_at=now + timedelta(days=1),
            metric="sales_amount", winners_per_league=3,
            prizes=[{"points": 5000, "text": ""}, {"points": 3000, "text": ""}, {"points": 1000, "text": ""}]),
            manager)
        services.publish_contest(contest, manager)
    league = db.session.scalar(select(ContestLeague.id).where(ContestLeague.contest_id == contest.id))
    # 1,000,000 sales lines (person, quantity x price, approved at), rolled up as the events would.
    start = time.perf_counter()
    totals: dict[int, int] = defaultdict(int)
    reached = {}
    for _ in range(SALES_LINES):
        user_id = rng.randint(1, PEOPLE)
        totals[user_id] += rng.randint(1, 5) * rng.choice((490_000, 3_650_000, 4_590_000, 6_840_000))
        reached[user_id] = max(reached.get(user_id, now), now - timedelta(minutes=rng.randint(0, 40_000)))
    rows = [{"contest_id": contest.id, "league_id": league, "user_id": user_id, "company_id": 1 + user_id % 500,
             "actual": value, "value": value, "reached_at": reached[user_id]} for user_id, value in totals.items()]
    for chunk in range(0, len(rows), 20_000):
        db.session.execute(insert(ContestScore), rows[chunk:chunk + 20_000])
    db.session.commit()
    if db.engine.dialect.name == "sqlite":  # as a running database would be: statistics gathered, WAL folded in
        db.session.execute(text("ANALYZE"))
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.commit()
    print(f"  {SALES_LINES:,} sales lines rolled up into {len(rows):,} board rows in "
          f"{time.perf_counter() - start:.1f} s")
    return contest.id, league


def run() -> None:
    print(f"contests: a board of {PEOPLE:,} participants fed by {SALES_LINES:,} sales lines")
    with bench_app() as app:
        with app.app_context():
            contest_id, league = build(random.Random(5))
            ranked = list(db.session.scalars(select(ContestScore.user_id).where(ContestScore.contest_id == contest_id)
                                             .order_by(ContestScore.value.desc(), ContestScore.reached_at,
                                                       ContestScore.user_id)))
            me_5000, me_middle, me_last = ranked[4999], ranked[len(ranked) // 2 - 1], ranked[-1]
            assert boards.position(contest_id, league, me_5000).place == 5000
            assert boards.position(contest_id, league, me_middle).place == len(ranked) // 2
            assert boards.position(contest_id, league, me_last).place == len(ranked)
            timed("top 50 of the board", lambda: boards.top(contest_id, league, 50), repeat=300)
            timed("my position (5,000th) with two neighbours each side",
                  lambda: boards.position(contest_id, league, me_5000), repeat=300)
            timed(f"my position ({len(ranked) // 2:,}th) with neighbours",
                  lambda: boards.position(contest_id, league, me_middle), repeat=300)
            timed("my position (last place) with neighbours", lambda: boards.position(contest_id, league, me_last),
                  repeat=300)
            timed("participants on the board (count)", lambda: boards.count_on_board(contest_id, league), repeat=50)
        participant = page_getter(app, f"p{me_5000 - 1}@bench.test")
        timed("contest page for a participant (top 20, my position)", lambda: participant(f"/contests/{contest_id}"),
              repeat=50)
        with app.app_context():
            contest = db.session.get(Contest, contest_id)
            manager = db.session.scalar(select(User).where(User.role == MANAGER))
            with frozen_time(contest.ends_at + timedelta(minutes=1)):
                services.advance_contest(contest)
                assert contest.status == FINISHED
                db.session.commit()
                start = time.perf_counter()
                winners = services.finalise_contest(contest, manager)
                db.session.commit()
            print(f"  finalise: {len(winners)} winners fixed, prizes posted, committed in "
                  f"{(time.perf_counter() - start) * 1000:.0f} ms")
