"""Demo contests: one finalised with winners and a protocol, one running with two leagues, one upcoming."""

from datetime import datetime, time, timedelta

from babel.dates import format_date
from sqlalchemy import select

from portal.auth.models import MANAGER, PARTICIPANT, User
from portal.claims import services as claims
from portal.claims.demo import unique_scan
from portal.claims.scans import store_scan
from portal.core.time import frozen_time, local_date, local_day_start, utcnow
from portal.extensions import db
from portal.partners.models import APPROVED, GroupMembership, PartnerCompany, PartnerGroup
from portal.products.models import Product

from . import services
from .models import BY_GROUP, COURSES_PASSED, OPT_IN, SALES_AMOUNT, UNITS

MOSCOW = ("Москва", "Московская область")


def _group(name: str, description: str, companies: list[PartnerCompany], since: datetime) -> PartnerGroup:
    """The groups feature's demo creates these groups too: use theirs when they are there."""
    group = db.session.scalar(select(PartnerGroup).where(PartnerGroup.name == name))
    if group is not None:
        return group
    group = PartnerGroup(name=name, description=description)
    db.session.add(group)
    db.session.flush()
    for company in companies:
        db.session.add(GroupMembership(group_id=group.id, company_id=company.id, added_at=since))
    db.session.flush()
    return group


def _sell(rng, person, manager, products, invoice_day: datetime) -> None:
    lines = [claims.LineData(p.sku, rng.randint(1, 4), p.list_price_kopecks // 100 * 100)
             for p in rng.sample(products, rng.randint(1, 2))]
    data = claims.ClaimData(invoice_number=f"УПД-{rng.randint(10000, 99999)}", invoice_date=invoice_day.date(),
                            customer_name="ООО «Заказчик»", customer_inn="", lines=lines)
    with frozen_time(datetime.combine(invoice_day.date(), time(11, 0))):
        claim = claims.save_draft(person, data, scan=store_scan("счёт.pdf", unique_scan()))
        claims.submit_claim(claim, person)
    with frozen_time(datetime.combine(invoice_day.date(), time(15, 0)) + timedelta(days=1)):
        claims.approve_claim(claim, manager)


def _month(moment) -> str:
    """The month of a stored moment, as a Russian title names it: «ноябрь»."""
    return format_date(local_date(moment), "LLLL", locale="ru")


def _month_en(moment) -> str:
    return format_date(local_date(moment), "LLLL", locale="en")


RULES_EN = ("1. Approved sales with an invoice dated within the contest period count.\n"
            "2. Winners are chosen in each league separately.\n"
            "3. On equal results, whoever reached the result first ranks higher.")
COURSE_RULES = ("1. Учитываются курсы, впервые пройденные в период конкурса.\n"
                "2. Участвуют те, кто нажал «Участвовать».\n"
                "3. При равенстве результатов выше тот, кто достиг его раньше.")
COURSE_RULES_EN = ("1. Courses passed for the first time within the contest period count.\n"
                   "2. Those who pressed «Take part» compete.\n"
                   "3. On equal results, whoever reached the result first ranks higher.")


def load(rng) -> None:
    manager = db.session.scalar(select(User).where(User.role == MANAGER).order_by(User.id))
    if manager is None:
        return
    now = utcnow().replace(second=0, microsecond=0)
    midnight = local_day_start(local_date(now))  # contests run from midnight to midnight, Moscow time
    companies = db.session.scalars(select(PartnerCompany).where(PartnerCompany.status == APPROVED)
                                   .order_by(PartnerCompany.id)).all()
    since = now - timedelta(days=400)
    moscow = _group("Дилеры Москвы", "Дилеры Москвы и области", [c for c in companies if c.region in MOSCOW], since)
    regions = _group("Регионы", "Партнёры за пределами Москвы", [c for c in companies if c.region not in MOSCOW],
                     since)
    _group("Интеграторы Gold", "Интеграторы высшего уровня", companies[::4], since)
    people = db.session.scalars(select(User).where(User.role == PARTICIPANT, User.company_id.in_(
        [c.id for c in companies]), User.created_at < now - timedelta(days=90)).order_by(User.id)).all()
    products = db.session.scalars(select(Product).where(Product.active.is_(True),
                                                        Product.category != "Монтажные материалы")).all()
    if not people or not products:
        return
    prizes = [{"points": 15000, "text": "Поездка на завод в Сучжоу"}, {"points": 10000, "text": ""},
              {"points": 5000, "text": ""}]
    rules = ("1. Учитываются одобренные продажи со счётом, датированным в период конкурса.\n"
             "2. Победители определяются отдельно в каждой лиге.\n"
             "3. При равенстве результатов выше тот, кто достиг его раньше.")

    # Finished two months ago, results final, protocol ready.
    start = midnight - timedelta(days=55)
    with frozen_time(start - timedelta(days=2)):
        summer = services.save_contest(services.ContestData(
            title=f"Марафон продаж: {_month(start + timedelta(days=15))}",
            description="Кто продаст больше сплит-систем за месяц.", rules=rules,
            title_en=f"Sales marathon: {_month_en(start + timedelta(days=15))}",
            description_en="Who sells the most split systems in a month.", rules_en=RULES_EN,
            starts_at=start, ends_at=start + timedelta(days=30), metric=UNITS, league_mode=BY_GROUP,
            group_ids=[moscow.id, regions.id], winners_per_league=3, prizes=prizes), manager)
        services.publish_contest(summer, manager)
    for person in rng.sample(people, min(14, len(people))):
        for _ in range(rng.randint(1, 3)):
            _sell(rng, person, manager, products, start + timedelta(days=rng.randint(1, 27)))
    with frozen_time(summer.ends_at + timedelta(days=3)):
        services.advance_contest(summer)
        services.finalise_contest(summer, manager)
    summer.start_mailed_at = summer.results_mailed_at = now  # the demo mails nobody

    # Running now, with a freeze before the end: two leagues of three winners.
    start = midnight - timedelta(days=12)
    with frozen_time(start - timedelta(days=1)):
        autumn = services.save_contest(services.ContestData(
            title=f"Битва лиг: {_month(now)}", description="Сумма одобренных продаж оборудования.", rules=rules,
            title_en=f"Battle of the leagues: {_month_en(now)}",
            description_en="The amount of approved equipment sales.", rules_en=RULES_EN,
            starts_at=start, ends_at=midnight + timedelta(days=18), freeze_at=midnight + timedelta(days=15),
            metric=SALES_AMOUNT, league_mode=BY_GROUP, group_ids=[moscow.id, regions.id], winners_per_league=3,
            prizes=prizes, min_value=10_000_000), manager)
        services.publish_contest(autumn, manager)
    demo_seller = db.session.scalar(select(User).where(User.email == "seller@demo.test"))
    sellers = rng.sample(people, min(20, len(people)))
    if demo_seller is not None and demo_seller not in sellers:
        sellers.append(demo_seller)
    for person in sellers:
        for _ in range(rng.randint(1, 3)):
            _sell(rng, person, manager, products, now - timedelta(days=rng.randint(2, 11)))
    services.advance_contest(autumn)
    autumn.start_mailed_at = now

    # Upcoming, opt-in: courses passed.
    services.publish_contest(services.save_contest(services.ContestData(
        title="Знаток VRF", description="Пройдите больше курсов за две недели.", rules=COURSE_RULES,
        title_en="VRF expert", description_en="Pass the most courses in two weeks.", rules_en=COURSE_RULES_EN,
        starts_at=midnight + timedelta(days=5), ends_at=midnight + timedelta(days=19), metric=COURSES_PASSED,
        enrolment=OPT_IN, winners_per_league=1, prizes=[{"points": 3000, "text": ""}]), manager), manager)
    db.session.flush()
