"""What a participant's home page shows: points and what expires, what the shop has within reach, the next
course, and the latest sales and orders. Read-only: each part asks the feature that owns it."""

from dataclasses import dataclass
from datetime import timedelta

from portal.auth.models import User
from portal.claims.models import Claim
from portal.claims.services import my_claims
from portal.core.time import utcnow
from portal.extensions import db
from portal.ledger import services as ledger
from portal.shop import services as shop
from portal.shop.models import Order, Prize
from portal.training import services as training
from portal.training.models import FAILED, PASSED, Course, CourseItem

EXPIRY_HORIZON = timedelta(days=90)


@dataclass
class NextCourse:
    course: Course
    status: str
    percent: int
    item: CourseItem | None


@dataclass
class ParticipantHome:
    balances: ledger.Balances
    expiring: list  # (expiry date, points) within EXPIRY_HORIZON, soonest first
    affordable: list[Prize]
    cheapest_missing: Prize | None  # the nearest prize out of reach, with how many points it needs
    next_course: NextCourse | None
    courses_passed: int
    courses_total: int
    claims: list[Claim]
    orders: list[Order]

    @property
    def expiring_points(self) -> int:
        return sum(points for _, points in self.expiring)


def participant_home(user: User) -> ParticipantHome:
    balances = ledger.balances_of(user.id)
    expiring = ledger.expiring_lots(user.id, utcnow() + EXPIRY_HORIZON)
    in_reach = shop.catalogue(user, affordable=True, sort="expensive").limit(4)
    affordable = list(db.session.scalars(in_reach))
    beyond = shop.catalogue(user, sort="cheap").where(Prize.price_points > balances.available).limit(1)
    cheapest_missing = db.session.scalar(beyond)

    # The next course is one the person can go on with; a failed one only when nothing else is open.
    open_courses, failed_courses, passed = [], [], 0
    courses = training.visible_courses(user)
    progresses = training.progress_of(user, courses)
    for course in courses:
        progress = progresses[course.id]
        if progress.status == PASSED:
            passed += 1
            continue
        card = NextCourse(course, progress.status, progress.percent, training.next_item(course, progress.done_item_ids))
        (failed_courses if progress.status == FAILED else open_courses).append(card)
    next_course = (open_courses or failed_courses or [None])[0]

    claims = list(db.session.scalars(my_claims(user).limit(5)))
    orders = list(db.session.scalars(shop.orders_query(user_id=user.id).limit(5)))
    return ParticipantHome(balances, expiring, affordable, cheapest_missing, next_course, passed, len(courses),
                           claims, orders)
