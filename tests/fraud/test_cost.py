"""Scoring's cost stays bounded: a claim with a history, a scan and a customer is scored in a fixed, small number
of reads, each by an index (the large tables are never read whole). bench/fraud.py measures the time at scale."""

import pytest
from sqlalchemy import event

from portal.extensions import db
from portal.fraud import services
from portal.program.services import get_settings
from tests.claims import factories as f
from tests.fraud.helpers import invoice_image, invoice_pdf, invoice_text, submit

LARGE = ("claims", "claim_lines", "claim_risks")


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)


@pytest.fixture
def history(make, db):
    f.product()
    f.per_unit_rule(100)
    get_settings().first_sale_bonus = 0
    seller = make.user(email="seller@example.test")
    for number in range(6):
        submit(seller, number=f"СЧ-{number}", customer_inn="7728168971", scan=invoice_image(number))
    return seller


def reads_of_scoring(claim) -> list[tuple[str, object]]:
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        services.score_claim(claim)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


@pytest.mark.parametrize("pdf", [False, True])
def test_scoring_a_claim_with_a_history_takes_a_few_indexed_reads(history, pdf):
    scan = invoice_pdf(invoice_text(number="SCH-9")) if pdf else invoice_image(9)
    claim = submit(history, number="СЧ-9", customer_inn="7728168971", scan=scan,
                   filename="invoice.pdf" if pdf else "invoice.png")
    statements = reads_of_scoring(claim)
    assert len(statements) <= 17, [statement.split("FROM")[0][:80] for statement, _ in statements]
    if db.engine.dialect.name != "sqlite":
        return  # PostgreSQL's planner reads the tiny tables of a test whole: the plans are checked at scale (bench)
    connection = db.session.connection().connection
    for statement, parameters in statements:
        if not statement.lstrip().upper().startswith("SELECT"):
            continue
        plan = [row[-1] for row in connection.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()]
        scans = [step for step in plan if step.startswith("SCAN") and step.split()[1] in LARGE
                 and "USING" not in step]
        assert scans == [], (statement, plan)
