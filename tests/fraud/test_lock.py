"""Scoring stays out of the claim's write lock (issues #26 and #27): the scan is fingerprinted as it is stored,
before the request writes anything; a claim submitted in a web request is scored after its commit (its reads of
earlier claims outside the lock), and one whose scoring failed is scored by the worker's job, never refused."""

import io
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import event, select

import portal.fraud.facts as facts
import portal.fraud.fingerprints as fingerprints
from portal.auth.models import MANAGER
from portal.claims import services as claims
from portal.claims.models import SUBMITTED, Claim
from portal.claims.scans import scan_file, store_scan
from portal.core.time import today, utcnow
from portal.extensions import db
from portal.fraud import services
from portal.fraud.models import ClaimRisk
from portal.program.services import get_settings
from tests.claims import factories as f
from tests.fraud.helpers import invoice_image, submit


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)


@pytest.fixture
def seller(app, make):
    person = make.user(email="seller@example.test")
    with app.app_context():
        f.product()
        f.per_unit_rule(100)
        get_settings().first_sale_bonus = 0
        db.session.commit()
    return person


def claim_form(number: str, scan: bytes) -> dict:
    return {"invoice_number": number, "invoice_date": (today() - timedelta(days=2)).isoformat(),
            "customer_name": "ООО «Заказчик»", "customer_inn": "", "lines-0-product": "SPL-09",
            "lines-0-quantity": "2", "lines-0-price": "49 000,00", "scan": (io.BytesIO(scan), "invoice.png"),
            "action": "submit"}


class Lock:
    """The moments a transaction's first write and its commit happen (every write takes SQLite's lock and
    PostgreSQL's row locks until the commit), and what the timed functions did inside that span."""

    def __init__(self, engine):
        self.engine, self.writing, self.inside = engine, False, []

    def _statement(self, conn, cursor, statement, *rest):
        if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            self.writing = True

    def _commit(self, conn):
        self.writing = False

    def _rollback(self, conn):
        self.writing = False

    def watch(self, monkeypatch, module, name: str, delay: float = 0.0):
        original = getattr(module, name)

        def watched(*args, **kwargs):
            if self.writing:
                self.inside.append(name)
            time.sleep(delay)  # a slow file, a slow disk: the lock must not wait for it
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, watched)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        event.listen(self.engine, "rollback", self._rollback)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)
        event.remove(self.engine, "rollback", self._rollback)


def test_the_form_fingerprints_the_scan_and_reads_earlier_claims_outside_the_write_lock(
        app, client, login, seller, monkeypatch):
    login("seller@example.test")
    assert client.post("/claims/new", data=claim_form("СЧ-1", invoice_image(1)),
                       content_type="multipart/form-data").status_code == 302
    with app.app_context():
        lock = Lock(db.engine)
    lock.watch(monkeypatch, fingerprints, "fingerprint", delay=0.05)
    lock.watch(monkeypatch, facts, "_read")
    with lock:
        response = client.post("/claims/new", data=claim_form("СЧ-2", invoice_image(1)),
                               content_type="multipart/form-data")
    assert response.status_code == 302
    assert lock.inside == []
    with app.app_context():
        claim = db.session.scalar(select(Claim).where(Claim.invoice_number == "СЧ-2"))
        risk = db.session.get(ClaimRisk, claim.id)
        assert claim.status == SUBMITTED and "same_scan" in {signal["code"] for signal in risk.signals}


def test_a_scan_taken_ahead_is_scored_without_reading_its_file_again(db, seller):
    seller = db.session.merge(seller)
    stored = store_scan("invoice.png", invoice_image(3))
    scan_file(stored[0]).unlink()  # scoring finds the file gone: its fingerprints were taken as it was stored
    claim = submit(seller, number="СЧ-3")  # a draft without a scan
    claims.attach_scan(claim, seller, stored)
    claims.submit_claim(claim, seller)  # scored in the submitting transaction (no web request here)
    risk = db.session.get(ClaimRisk, claim.id)
    assert risk.scan_sha256 and risk.scan_phash and risk.phash_band0 == risk.scan_phash[:4]


def test_a_claim_whose_scoring_failed_is_submitted_and_the_job_scores_it(app, client, login, seller, monkeypatch):
    login("seller@example.test")
    real = services.score_claim

    def broken(claim, settings=None):
        raise RuntimeError("the scoring broke")

    monkeypatch.setattr(services, "score_claim", broken)
    response = client.post("/claims/new", data=claim_form("СЧ-7", invoice_image(7)), content_type="multipart/form-data")
    assert response.status_code == 302
    monkeypatch.setattr(services, "score_claim", real)
    with app.app_context():
        claim_id = db.session.scalar(select(Claim.id).where(Claim.status == SUBMITTED))
        assert services.unscored_claims() == [claim_id]
        assert services.score_unscored(utcnow()) == 0  # the request that submitted it may still be scoring it
        assert services.score_unscored(utcnow() + timedelta(minutes=1)) == 1
        db.session.expire_all()
        assert db.session.get(ClaimRisk, claim_id) is not None and services.unscored_claims() == []


def test_a_scan_is_found_again_while_its_first_claim_still_waits_for_its_score(
        app, client, login, seller, monkeypatch):
    login("seller@example.test")
    real = services.score_claim

    def broken(claim, settings=None):
        raise RuntimeError("the scoring broke")

    monkeypatch.setattr(services, "score_claim", broken)  # the first claim is committed, its score not yet
    client.post("/claims/new", data=claim_form("СЧ-1", invoice_image(5)), content_type="multipart/form-data")
    monkeypatch.setattr(services, "score_claim", real)
    client.post("/claims/new", data=claim_form("СЧ-2", invoice_image(5)), content_type="multipart/form-data")
    with app.app_context():
        first, second = db.session.scalars(select(Claim.id).order_by(Claim.id)).all()
        signals = db.session.get(ClaimRisk, second).signals
        assert {"code": "same_scan", "claims": [first]}.items() <= next(
            signal for signal in signals if signal["code"] == "same_scan").items()
        assert services.unscored_claims() == [first]


def test_a_claim_waiting_for_its_score_shows_no_score_yet(app, client, login, seller, make, monkeypatch):
    make.user(role=MANAGER, email="boss@example.test")
    login("seller@example.test")

    def broken(claim, settings=None):
        raise RuntimeError("the scoring broke")

    monkeypatch.setattr(services, "score_claim", broken)
    client.post("/claims/new", data=claim_form("СЧ-1", invoice_image(6)), content_type="multipart/form-data")
    with app.app_context():
        claim = db.session.scalar(select(Claim))
        assert db.session.get(ClaimRisk, claim.id).version == services.UNSCORED  # its scan's fingerprints only
        assert services.risk_summary(claim) is None and services.risk_cells([claim.id]) == {}
    login("boss@example.test")
    assert 'data-testid="risk"' not in client.get(f"/claims/{claim.id}").get_data(as_text=True)
    queue = client.get("/console/claims").get_data(as_text=True)
    assert re.search(r'data-testid="risk-cell">\s*—', queue)


def test_a_claim_waiting_for_its_score_is_not_approved_in_bulk(app, client, login, seller, make, monkeypatch):
    """Bulk approval takes claims scored at or below the bulk line; one whose score has not come yet is left for
    its own page (or the next minute, when the worker has scored it)."""
    make.user(role=MANAGER, email="boss@example.test")
    login("seller@example.test")
    real = services.score_claim

    def broken(claim, settings=None):
        raise RuntimeError("the scoring broke")

    monkeypatch.setattr(services, "score_claim", broken)
    client.post("/claims/new", data=claim_form("СЧ-1", invoice_image(6)), content_type="multipart/form-data")
    monkeypatch.setattr(services, "score_claim", real)
    with app.app_context():
        claim_id = db.session.scalar(select(Claim.id))
    login("boss@example.test")
    page = client.post("/console/claims/bulk", data={"claim_ids": [claim_id], "action": "approve",
                                                     "reason_code": "other", "note": ""},
                       follow_redirects=True).get_data(as_text=True)
    assert f"#{claim_id}" in page and "не оценена" in page
    with app.app_context():
        assert db.session.get(Claim, claim_id).status == "submitted"
        services.score_unscored(now=utcnow() + timedelta(minutes=1))
        db.session.commit()
        assert db.session.get(ClaimRisk, claim_id).version > services.UNSCORED
    client.post("/console/claims/bulk", data={"claim_ids": [claim_id], "action": "approve",
                                              "reason_code": "other", "note": ""})
    with app.app_context():
        assert db.session.get(Claim, claim_id).status == "approved"
