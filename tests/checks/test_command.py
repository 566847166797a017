"""`flask portal check` and the worker's nightly run: findings in Russian and exit 1 on drift, one line and exit 0
when clean; the program managers get a mail in their language only when something drifted."""

from datetime import datetime

from sqlalchemy import select

from portal import jobs
from portal.auth.models import MANAGER
from portal.checks.nightly import run_nightly_check
from portal.checks.runner import checks
from portal.extensions import db
from portal.ledger import services as ledger
from portal.ops.models import OutboxMessage


def _credit_without_source(app, make):
    person = make.user(full_name="Орлова Анна")
    with app.app_context():
        ledger.earn(person.id, 800, key="demo:1", source_type="course", source_id=42)
        db.session.commit()
    return person


def test_a_clean_program_exits_0_with_one_line(app, make):
    make.user()
    result = app.test_cli_runner().invoke(args=["portal", "check"])
    assert result.exit_code == 0, result.output
    assert result.output == f"Все проверки ({len(checks())}) пройдены, расхождений нет.\n"


def test_drift_is_printed_in_russian_and_exits_1(app, make):
    _credit_without_source(app, make)
    result = app.test_cli_runner().invoke(args=["portal", "check"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Баллы и их источники:",
        "  - Орлова Анна: начислено баллов: 800 (операция №1), но участник не проходил курс №42.",
        f"Проверок с расхождениями: 1 из {len(checks())}.",
    ]


def test_the_nightly_check_mails_each_manager_in_their_language_when_something_drifted(app, make, mailbox):
    make.user(role=MANAGER, email="boss@example.test", locale="en")
    make.user(role=MANAGER, email="ruboss@example.test", locale="ru")
    make.user(role=MANAGER, email="gone@example.test", active=False)
    _credit_without_source(app, make)
    with app.test_request_context():
        summary = jobs.run_job("consistency-check", datetime(2026, 3, 2, 0, 0))
    assert summary == f"1 of {len(checks())} checks found a drift, 2 managers mailed"
    english, russian = sorted(mailbox.messages, key=lambda m: m["To"])
    assert english["To"] == "boss@example.test"
    assert english["Subject"] == "Program check: 1 check found a drift"
    body = english.get_content().replace("\r\n", "\n")
    assert "Points and their sources:\n- Орлова Анна was credited 800 points (transaction #1), but the person has " \
           "not passed course #42." in body
    assert russian["Subject"] == "Проверка программы: расхождение найдено в 1 проверке"
    assert "Баллы и их источники:" in russian.get_content()


def test_the_nightly_check_mails_nobody_when_clean(app, make):
    make.user(role=MANAGER)
    with app.test_request_context():
        assert run_nightly_check() == f"0 of {len(checks())} checks found a drift"
        assert db.session.scalars(select(OutboxMessage)).all() == []


def test_the_worker_runs_the_check_at_night_only(app, queue, monkeypatch):
    import threading

    from huey.consumer import Scheduler

    from portal.core.time import frozen_time
    from portal.worker import huey

    runs = []

    def recorder(name):
        return lambda now: runs.append((name, now)) or "0 noted"

    for listing in ("JOBS", "NIGHTLY_JOBS"):
        monkeypatch.setattr(jobs, listing, [(name, recorder(name)) for name, _job in getattr(jobs, listing)])
    for moment in (datetime(2026, 3, 2, 10, 0), datetime(2026, 3, 2, 0, 5), datetime(2026, 3, 3, 0, 0)):
        with frozen_time(moment):
            Scheduler(huey, threading.Event(), interval=1, periodic=True).enqueue_periodic_tasks(moment)
            queue()
    nightly = [now for name, now in runs if name == "consistency-check"]
    assert nightly == [datetime(2026, 3, 3, 0, 0)]  # 03:00 in Moscow
    assert {name for name, _now in runs} > {"consistency-check", "expire-points"}


def test_check_with_mail_writes_to_the_managers_and_still_exits_1(app, make, mailbox):
    make.user(role=MANAGER, email="boss@example.test", locale="ru")
    _credit_without_source(app, make)
    result = app.test_cli_runner().invoke(args=["portal", "check", "--mail"])
    assert result.exit_code == 1
    [mail] = mailbox.to("boss@example.test")
    assert "участник не проходил курс №42" in mail.get_content()


def test_a_check_that_breaks_is_a_finding_and_the_others_still_run(app, make, monkeypatch):
    from portal.checks import consistency

    def broken():
        raise RuntimeError("the source table is missing")

    monkeypatch.setattr(consistency, "lead_holder_drift", broken)
    _credit_without_source(app, make)
    result = app.test_cli_runner().invoke(args=["portal", "check"])
    assert result.exit_code == 1
    assert "  - Проверка не смогла выполниться: RuntimeError: the source table is missing" in result.output
    assert "Баллы и их источники:" in result.output
