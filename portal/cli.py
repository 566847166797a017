"""`flask --app wsgi portal ...`: the demo program, translations, scheduled jobs and the worker."""

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from portal.checks.nightly import mail_managers
from portal.checks.runner import run_checks
from portal.contests.scoring import recompute_all
from portal.demo import load_demo
from portal.extensions import db
from portal.jobs import run_due_jobs
from portal.kpi.views import kpi_cli
from portal.ledger.reports import check_ledger
from portal.worker import bind_app, run_worker

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"
WIDTH = "120"  # one line width for every catalogue, so an update rewrites only what changed

portal_cli = AppGroup("portal", help="Partner loyalty portal commands.")


@portal_cli.command("demo")
def demo_command():
    """Load the demo program (once: running it again keeps what is there)."""
    created = load_demo()
    click.echo("Demo program loaded." if created else "Demo program already present: nothing changed.")


@portal_cli.command("run-jobs")
def run_jobs_command():
    """Run every scheduled job that is due (idempotent: run it from cron as often as you like)."""
    from flask import current_app

    # A request context on PORTAL_URL, so that mail a job writes can link back to the portal.
    with current_app.test_request_context(base_url=current_app.config["PORTAL_URL"]):
        for name, summary in run_due_jobs():
            click.echo(f"{name}: {summary}")


@portal_cli.command("worker")
@click.option("--threads", default=2, show_default=True, help="Tasks run at once.")
def worker_command(threads):
    """Run the background worker: mail delivery, scheduled jobs, large exports (Ctrl-C stops it)."""
    import logging

    from flask import current_app

    logging.getLogger("huey").setLevel(logging.WARNING)  # a line per task would drown the mail printed here
    bind_app(current_app._get_current_object())
    run_worker(threads)


@portal_cli.command("check-ledger")
def check_ledger_command():
    """Recompute every balance from the ledger's entries and report any difference (exit code 1)."""
    problems = check_ledger()
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    click.echo("Ledger consistent: every transaction sums to zero and every balance matches its entries.")


@portal_cli.command("check")
@click.option("--mail", is_flag=True, help="Also mail the program managers what drifted (the worker does so nightly).")
def check_command(mail):
    """Run every consistency check of the program; print what drifted and exit 1, or exit 0 when all is clean."""
    from flask import current_app
    from flask_babel import force_locale, gettext

    with current_app.test_request_context(base_url=current_app.config["PORTAL_URL"]), \
            force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        results = run_checks()
        db.session.rollback()  # a check changes nothing; neither does the command, apart from the mail
        drifted = [result for result in results if not result.clean]
        for result in drifted:
            click.echo(f"{result.check.name}:")
            for finding in result.findings:
                click.echo(f"  - {finding}")
        if not drifted:
            click.echo(gettext("All %(count)s checks clean.", count=len(results)))
            return
        if mail:
            mail_managers(drifted)
            db.session.commit()
        click.echo(gettext("%(num)s of %(total)s checks found a drift.", num=len(drifted), total=len(results)))
        raise SystemExit(1)


@portal_cli.command("recompute-contests")
@click.option("--check", is_flag=True, help="Only report the drift, change nothing.")
def recompute_contests_command(check):
    """Recompute every contest score from the sales, courses and leads; report and fix any drift (exit 1)."""
    drift = recompute_all(fix=not check)
    for line in drift:
        click.echo(line, err=True)
    if not check:
        db.session.commit()
    if drift:
        click.echo(f"{len(drift)} contest scores differed from the source" + ("." if check else " and were rewritten."))
        raise SystemExit(1)
    click.echo("Contest scores match the source.")


@portal_cli.group("translations")
def translations():
    """Keep the Russian and English catalogues in step with the code."""


def _pybabel(*args: str) -> None:
    from babel.messages.frontend import CommandLineInterface

    CommandLineInterface().run(["pybabel", "-q", *args])


@translations.command("update")
def translations_update():
    """Extract messages from the code and merge them into both catalogues."""
    _pybabel("extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_pgettext:1c,2", "--no-location",
             "--sort-output", "-w", WIDTH, "-o", str(POT), str(ROOT))
    for locale in ("ru", "en"):
        po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        if po.exists():
            _pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", locale, "--no-fuzzy-matching",
                     "--ignore-obsolete", "-w", WIDTH)
        else:
            _pybabel("init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", locale)
    _fill_english()


def _fill_english() -> None:
    """English messages are written in English in the code: the English catalogue repeats them."""
    from babel.messages.pofile import read_po, write_po

    po = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale="en")
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if not any(message.string):
                message.string = (message.id[0], message.id[1])
        elif not message.string:
            message.string = message.id
    with po.open("wb") as fh:
        write_po(fh, catalog, sort_output=True, omit_header=False, include_previous=False, width=int(WIDTH))


@translations.command("compile")
def translations_compile():
    """Compile the catalogues into the .mo files the app reads."""
    _pybabel("compile", "-d", str(TRANSLATIONS), "--use-fuzzy")


def register_cli(app: Flask) -> None:
    portal_cli.add_command(kpi_cli)
    app.cli.add_command(portal_cli)
