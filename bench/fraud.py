"""Fraud signals measured against planted fraud: `python -m bench fraud [--participants N] [--cost-claims N]`.

A synthetic program (companies with their own invoice numbering and weekday habits, sellers of different pace and
size, regular customers reordering the same, customers shared by several partners, newcomers, a contest with its
deadline rush) with planted fraud of each kind the signals look for, a few percent of the claims. Every claim is
scored in the order it was submitted, as the portal does on submission; a planted claim the reviewer sees held is
decided "fraud" at once (so a repeat offender's next claim carries that history). Then precision and recall at the
default thresholds, recall per kind, and the share of honest claims held.

With `--cost-claims N` it also builds a program of that many claims in bulk and times scoring (the cost per claim,
which is what submission pays): `--participants 100000 --cost-claims 1000000` for the issue's scale. The build
takes minutes; to time again without building, keep the database and skip the planted program:
`DATABASE_URL=sqlite:////tmp/fraud.sqlite3 python -m bench fraud --cost-only --participants 100000
--cost-claims 1000000` reuses the claims already there (`--profile` adds cProfile's view of the scoring).
"""

import argparse
import os
import random
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert, select

from portal.fraud.signals import is_day_off

WARM_UP = "warm-up"  # claims of the first 30 days: scored, to build history, but not measured
KINDS = ("same_scan", "near_scan", "same_invoice", "own_company", "participant_company", "number_reused",
         "round_before_deadline", "inflated_price", "quantity_spike", "split_sale", "new_large", "burst",
         "invented_weekend", "customer_ring", "repeat_offender")


@dataclass
class Seller:
    id: int
    company: "Company"
    rate: float  # claims a day
    batcher: bool  # files a week's sales on one day
    max_quantity: int
    joined: int  # the day of the timeline they joined
    fraud: bool = False


@dataclass
class Company:
    id: int
    inn: str
    weekdays_only: bool
    discount: float
    counter: int
    step: int
    prefix: str
    products: list
    regulars: list = field(default_factory=list)  # (customer inn, their usual order)


@dataclass
class Sale:
    seller: Seller
    moment: datetime
    day: object  # invoice date
    lines: list  # (product id, quantity, unit price)
    customer: str | None
    number: str | None = None
    sha: str = ""
    phash: str = ""
    kind: str | None = None  # planted fraud
    id: int = 0


def _inn(rng: random.Random, digits: int = 10) -> str:
    return str(rng.randrange(10 ** (digits - 1), 10 ** digits))


def _hex(rng: random.Random, nibbles: int) -> str:
    return f"{rng.getrandbits(nibbles * 4):0{nibbles}x}"


def _flip(phash: str, rng: random.Random, bits: int = 2) -> str:
    value = int(phash, 16)
    for bit in rng.sample(range(64), bits):
        value ^= 1 << bit
    return f"{value:016x}"


class Program:
    """The synthetic program: companies, sellers, products, honest sales, then the planted ones."""

    def __init__(self, rng: random.Random, *, companies: int, sellers: int, days: int, start: datetime,
                 large_sale: int, fraud_share: float = 0.025):
        self.rng, self.days, self.start, self.large_sale = rng, days, start, large_sale
        self.products = [(i + 1, (rng.randint(30, 1500) * 100 - 10) * 100) for i in range(60)]
        self.price = dict(self.products)
        self.companies = []
        for i in range(companies):
            company = Company(i + 1, _inn(rng), rng.random() < 0.7, rng.uniform(0.85, 1.0), rng.randint(1, 5000),
                              rng.choice((1, 2, 3, 5, 10, 20)), rng.choice(("СЧ-", "УПД-", "", "Р/")),
                              rng.sample([pid for pid, _ in self.products], 15))
            self.companies.append(company)
        self.sellers = []
        for i in range(sellers):
            joined = 0 if rng.random() > 0.06 else rng.randint(20, days - 10)
            self.sellers.append(Seller(i + 1, self.companies[i % companies], rng.lognormvariate(-2.3, 0.7),
                                       rng.random() < 0.15, rng.choice((2, 3, 4, 5, 8, 10)), joined))
        for company in self.companies:
            company.regulars = [(_inn(rng), self._lines(company, rng.choice((2, 3, 5)))) for _ in range(8)]
        self.big_customers = [_inn(rng) for _ in range(60)]
        self.deadline = start + timedelta(days=int(days * 0.7), hours=15)  # a contest counting sales ends
        self.sales: list[Sale] = []
        self.fraud_share = fraud_share
        self.fraudsters: list[Seller] = []  # fraud is the work of few: planted sales come from these people

    def _price(self, company: Company, product_id: int) -> int:
        return max(1000, round(self.price[product_id] * company.discount * self.rng.uniform(0.96, 1.04), -3))

    def _lines(self, company: Company, max_quantity: int, count: int | None = None) -> list:
        count = count or self.rng.choice((1, 1, 1, 2, 2, 3))
        chosen = self.rng.sample(company.products, count)
        return [(pid, self.rng.randint(1, max_quantity), self._price(company, pid)) for pid in chosen]

    def _invoice_day(self, company: Company, moment: datetime):
        day = (moment - timedelta(days=self.rng.choice((0, 0, 1, 1, 2, 3, 5)))).date()
        while company.weekdays_only and is_day_off(day):
            day -= timedelta(days=1)
        return day

    def _honest(self, seller: Seller, moment: datetime) -> Sale:
        company, rng = seller.company, self.rng
        roll = rng.random()
        if roll < 0.45:  # a regular customer, often the very same order again
            customer, usual = rng.choice(company.regulars)
            lines = [(pid, q, self._price(company, pid)) for pid, q, _ in usual] if rng.random() < 0.6 else \
                self._lines(company, seller.max_quantity)
        elif roll < 0.5:
            customer, lines = rng.choice(self.big_customers), self._lines(company, seller.max_quantity)
        else:
            customer, lines = (_inn(rng) if rng.random() < 0.8 else None), self._lines(company, seller.max_quantity)
        if rng.random() < 0.003:  # an honest project order, far larger than usual
            lines = [(pid, q * 3, price) for pid, q, price in lines]
        return Sale(seller, moment, self._invoice_day(company, moment), lines, customer,
                    sha=_hex(rng, 64), phash=_hex(rng, 16))

    def honest_sales(self) -> None:
        rng = self.rng
        for seller in self.sellers:
            for day in range(seller.joined, self.days):
                base = self.start + timedelta(days=day)
                if seller.batcher:
                    count = _poisson(rng, seller.rate * 7) if day % 7 == seller.id % 7 else 0
                else:
                    count = _poisson(rng, seller.rate)
                rush = base.date() == self.deadline.date() or base.date() == (self.deadline - timedelta(days=1)).date()
                if rush and rng.random() < 0.5:
                    count += 1  # the deadline rush
                for _ in range(count):
                    moment = base + timedelta(hours=rng.uniform(8, 20))
                    self.sales.append(self._honest(seller, moment))

    # --- planted fraud -----------------------------------------------------------------------------------

    def _moment(self, after_day: int = 30) -> datetime:
        return self.start + timedelta(days=self.rng.uniform(after_day, self.days - 1))

    def _seller(self, *, other_than: Seller | None = None, company: Company | None = None,
                busy: bool = False) -> Seller:
        def fits(seller):
            return seller.joined == 0 and (not busy or seller.rate >= 0.12) and seller is not other_than \
                and (company is None or seller.company is company) \
                and (other_than is None or company is not None or seller.company is not other_than.company)

        known = [seller for seller in self.fraudsters if fits(seller)]
        if known and (len(self.fraudsters) >= 0.03 * len(self.sellers) or self.rng.random() < 0.5):
            return self.rng.choice(known)
        while True:
            seller = self.rng.choice(self.sellers)
            if fits(seller):
                self.fraudsters.append(seller)
                return seller

    def _earlier_sale(self, before: datetime) -> Sale:
        while True:
            sale = self.rng.choice(self.sales)
            if sale.kind is None and sale.moment < before - timedelta(days=1):
                return sale

    def _plant(self, kind: str, seller: Seller, moment: datetime, **values) -> Sale:
        sale = self._honest(seller, moment)
        sale.kind = kind
        for key, value in values.items():
            setattr(sale, key, value)
        self.sales.append(sale)
        return sale

    def plant(self) -> None:
        honest = len(self.sales)
        per_kind = max(2, round(honest * self.fraud_share / len(KINDS)))
        rng = self.rng
        offenders = []
        for index in range(per_kind):  # a burst, a split sale and a ring are several claims: planted less often
            moment = self._moment()
            original = self._earlier_sale(moment)
            self._plant("same_scan", self._seller(other_than=original.seller), moment, sha=original.sha,
                        phash=original.phash)
            moment = self._moment()
            original = self._earlier_sale(moment)
            self._plant("near_scan", self._seller(other_than=original.seller), moment,
                        phash=_flip(original.phash, rng))
            moment = self._moment()
            original = self._earlier_sale(moment)
            colleague = [s for s in self.sellers if s.company is original.seller.company and s is not original.seller]
            if colleague:
                self._plant("same_invoice", rng.choice(colleague), moment, day=original.day,
                            number=("=", original), lines=original.lines)
            seller = self._seller()
            offenders.append(self._plant("own_company", seller, self._moment(), customer=seller.company.inn))
            seller = self._seller()
            other = rng.choice([c for c in self.companies if c is not seller.company])
            offenders.append(self._plant("participant_company", seller, self._moment(), customer=other.inn))
            moment = self._moment(40)
            original = self._earlier_sale(moment)
            self._plant("number_reused", self._seller(company=original.seller.company), moment,
                        number=("=", original))
            seller = self._seller()
            price = max(1, round(self.price[seller.company.products[0]] / 100_000)) * 100_000
            self._plant("round_before_deadline", seller, self.deadline - timedelta(hours=rng.uniform(1, 20)),
                        lines=[(seller.company.products[0], rng.choice((10, 20)), price)])
            seller = self._seller()
            pid = seller.company.products[1]
            offenders.append(self._plant("inflated_price", seller, self._moment(),
                                         lines=[(pid, 1, self.price[pid] * rng.choice((3, 4, 5)))]))
            seller = self._seller(busy=True)  # far above a history: someone with one
            self._plant("quantity_spike", seller, self._moment(60),
                        lines=[(seller.company.products[2], 10 * max(5, seller.max_quantity),
                                self._price(seller.company, seller.company.products[2]))])
            seller, moment = self._seller(), self._moment(30)
            for step in range(4 if index % 4 == 0 else 0):
                total = int(self.large_sale * rng.uniform(0.91, 0.99))
                self._plant("split_sale", seller, moment + timedelta(days=step * 2.5),
                            lines=[(seller.company.products[3], 1, total)])
            newcomer = Seller(len(self.sellers) + 1, rng.choice(self.companies), 0.1, False, 3, self.days - 15)
            self.sellers.append(newcomer)
            price = self._price(newcomer.company, newcomer.company.products[0])
            self._plant("new_large", newcomer, self._moment(self.days - 14),
                        lines=[(newcomer.company.products[0], -(-self.large_sale * 6 // 5 // price), price)])
            seller, moment = self._seller(), self._moment(30)
            for minute in sorted(rng.sample(range(240), rng.randint(8, 12))) if index % 10 == 0 else ():
                self._plant("burst", seller, moment + timedelta(minutes=minute))
            company = rng.choice([c for c in self.companies if c.weekdays_only])
            moment = self._moment(30)
            saturday = (moment - timedelta(days=(moment.weekday() - 5) % 7)).date()
            self._plant("invented_weekend", self._seller(company=company), moment, day=saturday,
                        number=f"{company.prefix}{company.counter + 100_000 + rng.randint(1, 900)}")
            customer, moment = _inn(rng), self._moment(30)
            for company in rng.sample(self.companies, 5) if index % 5 == 0 else ():
                self._plant("customer_ring", self._seller(company=company),
                            moment + timedelta(days=rng.uniform(0, 8)), customer=customer)
        for caught in offenders:  # their next claims try again with less: a round sum and nothing else
            pid = caught.seller.company.products[4]
            price = max(1, round(self.price[pid] / 100_000)) * 100_000
            self._plant("repeat_offender", caught.seller, caught.moment + timedelta(days=rng.uniform(2, 8)),
                        lines=[(pid, 10 * max(1, -(-5_000_000 // (price * 10))), price)])

    def numbered(self) -> list[Sale]:
        """All sales in submission order, each company's invoices numbered in date order."""
        self.sales.sort(key=lambda sale: sale.moment)
        by_company = defaultdict(list)
        for sale in self.sales:
            if sale.number is None:
                by_company[sale.seller.company.id].append(sale)
        for company in self.companies:
            for sale in sorted(by_company[company.id], key=lambda sale: (sale.day, sale.moment)):
                company.counter += self.rng.randint(1, 2 * company.step)
                sale.number = f"{company.prefix}{company.counter}"
        for sale in self.sales:
            if isinstance(sale.number, tuple):  # the very number of an earlier invoice
                sale.number = sale.number[1].number
        return self.sales


def _poisson(rng: random.Random, mean: float) -> int:
    count, threshold, product = 0, 2.718281828 ** -mean, rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


def load(program: Program) -> dict[int, str | None]:
    """Write the program into the database in bulk; answers each claim's planted kind (None: honest)."""
    from portal.auth.models import User
    from portal.claims.models import SUBMITTED, Claim, ClaimLine
    from portal.contests.models import Contest
    from portal.extensions import db
    from portal.fraud.fingerprints import band_values
    from portal.fraud.models import ClaimRisk
    from portal.partners.models import PartnerCompany
    from portal.products.models import Product

    now = program.start
    db.session.execute(insert(PartnerCompany), [
        {"id": c.id, "inn": c.inn, "name": f"Партнёр {c.id}", "region": "", "status": "approved", "created_at": now}
        for c in program.companies])
    db.session.execute(insert(User), [
        {"id": s.id, "email": f"s{s.id}@fraud.test", "password_hash": "x", "session_token": f"{s.id:032d}",
         "full_name": f"Продавец {s.id}", "role": "participant", "locale": "ru", "active": True, "audience": "manager",
         "company_id": s.company.id, "email_confirmed_at": now,
         "created_at": now + timedelta(days=s.joined) if s.joined else now - timedelta(days=365)}
        for s in program.sellers])
    db.session.execute(insert(Product), [
        {"id": pid, "sku": f"P{pid:03d}", "name": f"Товар {pid}", "category": "Оборудование",
         "list_price_kopecks": price, "cost_kopecks": price * 7 // 10, "active": True, "created_at": now,
         "updated_at": now} for pid, price in program.products])
    db.session.add(Contest(title="Осенний спринт", starts_at=now, ends_at=program.deadline, metric="sales_amount",
                           status="finished"))
    labels, claims, lines, risks = {}, [], [], []
    for number, sale in enumerate(program.numbered(), start=1):
        sale.id = number
        labels[number] = WARM_UP if sale.moment < program.start + timedelta(days=30) else sale.kind
        claims.append({
            "id": number, "user_id": sale.seller.id, "company_id": sale.seller.company.id,
            "seller_inn": sale.seller.company.inn, "invoice_number": sale.number,
            "invoice_number_key": sale.number.upper(), "invoice_date": sale.day, "customer_name": "Покупатель",
            "customer_inn": sale.customer, "status": SUBMITTED, "possible_duplicate": False,
            "total_kopecks": sum(q * p for _, q, p in sale.lines), "scan_path": f"{number}.png",
            "scan_filename": "scan.png", "scan_mimetype": "image/png", "submitted_at": sale.moment,
            "created_at": sale.moment})
        for position, (pid, quantity, price) in enumerate(sale.lines, start=1):
            lines.append({"claim_id": number, "position": position, "product_id": pid, "quantity": quantity,
                          "unit_price_kopecks": price, "unit_cost_kopecks": program.price[pid] * 7 // 10})
        bands = band_values(sale.phash)
        risks.append({"claim_id": number, "score": 0, "signals": [], "version": 0, "computed_at": sale.moment,
                      "scan_sha256": sale.sha, "scan_phash": sale.phash, "phash_band0": bands[0],
                      "phash_band1": bands[1], "phash_band2": bands[2], "phash_band3": bands[3], "held": False,
                      "fraud": False})
    for table, rows in ((Claim, claims), (ClaimLine, lines), (ClaimRisk, risks)):
        for chunk in range(0, len(rows), 5000):
            db.session.execute(insert(table), rows[chunk:chunk + 5000])
    db.session.commit()
    return labels


@dataclass
class Measured:
    planted: int
    honest: int
    caught: int
    honest_held: int
    by_kind: dict
    scores: dict

    @property
    def recall(self) -> float:
        return self.caught / self.planted if self.planted else 0.0

    @property
    def precision(self) -> float:
        held = self.caught + self.honest_held
        return self.caught / held if held else 0.0

    @property
    def honest_held_share(self) -> float:
        return self.honest_held / self.honest if self.honest else 0.0


def score_all(labels: dict[int, str | None]) -> Measured:
    """Score every claim in submission order; a held planted claim is decided "fraud" at once."""
    from portal.claims.models import Claim
    from portal.extensions import db
    from portal.fraud import services
    from portal.fraud.models import ClaimRisk

    settings = services.get_fraud_settings()
    for claim_id in sorted(labels):
        risk = services.score_claim(db.session.get(Claim, claim_id), settings)
        if risk.held and labels[claim_id] not in (None, WARM_UP):
            risk.fraud = True
        if claim_id % 500 == 0:
            db.session.commit()
    db.session.commit()
    final = dict(db.session.execute(select(ClaimRisk.claim_id, ClaimRisk.held)).all())
    scores = dict(db.session.execute(select(ClaimRisk.claim_id, ClaimRisk.score)).all())
    by_kind = defaultdict(lambda: [0, 0])
    labels = {claim_id: kind for claim_id, kind in labels.items() if kind != WARM_UP}
    for claim_id, kind in labels.items():
        if kind is not None:
            by_kind[kind][0] += 1
            by_kind[kind][1] += bool(final[claim_id])
    planted = sum(1 for kind in labels.values() if kind)
    return Measured(planted=planted, honest=len(labels) - planted,
                    caught=sum(1 for i, kind in labels.items() if kind and final[i]),
                    honest_held=sum(1 for i, kind in labels.items() if not kind and final[i]),
                    by_kind=dict(by_kind), scores={i: scores[i] for i, kind in labels.items() if not kind})


def planted_program(seed: int = 2026, *, companies: int = 40, sellers: int = 240, days: int = 120):
    from portal.core.time import utcnow
    from portal.fraud.services import get_fraud_settings

    start = (utcnow() - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    program = Program(random.Random(seed), companies=companies, sellers=sellers, days=days, start=start,
                      large_sale=get_fraud_settings().large_sale_kopecks)
    program.honest_sales()
    program.plant()
    return load(program)


def report(measured: Measured) -> None:
    print(f"  claims {measured.planted + measured.honest}, planted fraud {measured.planted} "
          f"({measured.planted / (measured.planted + measured.honest):.1%})")
    print(f"  recall (planted fraud held)   {measured.recall:6.1%}")
    print(f"  precision (held that is fraud) {measured.precision:6.1%}")
    print(f"  honest claims held            {measured.honest_held_share:6.1%} ({measured.honest_held})")
    for kind in KINDS:
        total, caught = measured.by_kind.get(kind, (0, 0))
        print(f"    {kind:<24} {caught:>4} / {total:<4}")
    print("  honest score distribution:", sorted(Counter(
        min(90, score // 10 * 10) for score in measured.scores.values()).items()))


def cost(participants: int, claims: int, samples: int = 300, profile: bool = False) -> None:
    """Time scoring at scale: a bulk-built program of `claims` claims, then `samples` claims scored again. A database
    that already holds the program (DATABASE_URL to a kept file) is reused rather than built again."""
    from sqlalchemy import func

    from portal.claims.models import Claim
    from portal.extensions import db
    from portal.fraud import services

    held = db.session.scalar(select(func.count(Claim.id)))
    if held:
        print(f"  reusing the {held} claims already in the database")
        labels = dict.fromkeys(db.session.scalars(select(Claim.id)))
    else:
        labels = build_cost_program(participants, claims)
    rng = random.Random(7)
    ids = rng.sample(sorted(labels)[len(labels) // 2:], min(samples, len(labels) // 2))
    settings = services.get_fraud_settings()
    timings, cpu, statements = [], [], []
    counter = _statement_counter(db.engine)
    profiler = None
    if profile:
        import cProfile
        profiler = cProfile.Profile()
    for claim_id in ids:
        claim = db.session.get(Claim, claim_id)
        counter[0] = 0
        begun, begun_cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        services.score_claim(claim, settings)
        if profiler:
            profiler.disable()
        timings.append((time.perf_counter() - begun) * 1000)
        cpu.append((time.process_time() - begun_cpu) * 1000)  # this process's own time: the machine is shared
        statements.append(counter[0])
        db.session.rollback()
    timings.sort()
    cpu.sort()
    print(f"  score one claim: median {statistics.median(timings):.1f} ms, "
          f"p95 {timings[int(len(timings) * 0.95) - 1]:.1f} ms over {len(timings)} claims "
          f"(CPU of this process: median {statistics.median(cpu):.1f} ms, p95 {cpu[int(len(cpu) * 0.95) - 1]:.1f} ms), "
          f"{statistics.median(statements):.0f} statements each; load average {os.getloadavg()[0]:.1f}")
    if profiler:
        import pstats
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def _statement_counter(engine) -> list[int]:
    from sqlalchemy import event

    counter = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*args, **kwargs):
        counter[0] += 1

    return counter


def build_cost_program(participants: int, claims: int) -> dict:
    from portal.core.time import utcnow
    from portal.fraud import services

    days = 365
    companies = max(10, participants // 50)
    start = (utcnow() - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    rng = random.Random(7)
    program = Program(rng, companies=companies, sellers=participants, days=days, start=start,
                      large_sale=services.get_fraud_settings().large_sale_kopecks, fraud_share=0.0)
    per_seller = claims / participants / days
    for seller in program.sellers:
        seller.rate, seller.joined = per_seller * rng.lognormvariate(0, 0.5), 0
    started = time.perf_counter()
    program.honest_sales()
    labels = load(program)
    print(f"  built {len(labels)} claims of {participants} participants in {time.perf_counter() - started:.0f} s")
    return labels


def run(argv: list[str] | None = None) -> None:
    from bench.harness import bench_app

    parser = argparse.ArgumentParser(prog="python -m bench fraud")
    parser.add_argument("--participants", type=int, default=0, help="with --cost-claims: participants at scale")
    parser.add_argument("--cost-claims", type=int, default=0, help="also time scoring among this many claims")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--cost-only", action="store_true", help="skip the planted program (a kept database)")
    parser.add_argument("--profile", action="store_true", help="with --cost-claims: cProfile the scoring")
    args = parser.parse_args(argv or [])
    if not args.cost_only:
        print("fraud signals: planted fraud")
        with bench_app() as app, app.app_context():
            started = time.perf_counter()
            labels = planted_program(args.seed)
            measured = score_all(labels)
            report(measured)
            print(f"  scored in {time.perf_counter() - started:.1f} s")
    if args.cost_claims:
        print(f"fraud signals: cost per claim among {args.cost_claims} claims")
        with bench_app() as app, app.app_context():
            cost(args.participants or max(1000, args.cost_claims // 10), args.cost_claims, profile=args.profile)
