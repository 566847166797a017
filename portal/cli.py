"""`flask --app wsgi portal ...`: the demo program, translations and scheduled jobs."""

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"

portal_cli = AppGroup("portal", help="Partner loyalty portal commands.")


@portal_cli.command("demo")
def demo_command():
    """Load the demo program (once: running it again keeps what is there)."""
    from portal.demo import load_demo

    created = load_demo()
    click.echo("Demo program loaded." if created else "Demo program already present: nothing changed.")


@portal_cli.command("run-jobs")
def run_jobs_command():
    """Run every scheduled job that is due (idempotent: run it from cron as often as you like)."""
    from portal.jobs import run_due_jobs

    for name, summary in run_due_jobs():
        click.echo(f"{name}: {summary}")


@portal_cli.command("check-ledger")
def check_ledger_command():
    """Recompute every balance from the ledger's entries and report any difference (exit code 1)."""
    from portal.ledger.reports import check_ledger

    problems = check_ledger()
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    click.echo("Ledger consistent: every transaction sums to zero and every balance matches its entries.")


@portal_cli.command("recompute-contests")
@click.option("--check", is_flag=True, help="Only report the drift, change nothing.")
def recompute_contests_command(check):
    """Recompute every contest score from the sales, courses and leads; report and fix any drift (exit 1)."""
    from portal.contests.scoring import recompute_all
    from portal.extensions import db

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
             "--sort-output", "-o", str(POT), str(ROOT))
    for locale in ("ru", "en"):
        po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        if po.exists():
            _pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", locale, "--no-fuzzy-matching",
                     "--ignore-obsolete")
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
        write_po(fh, catalog, sort_output=True, omit_header=False, include_previous=False, width=110)


@translations.command("compile")
def translations_compile():
    """Compile the catalogues into the .mo files the app reads."""
    _pybabel("compile", "-d", str(TRANSLATIONS), "--use-fuzzy")


def register_cli(app: Flask) -> None:
    app.cli.add_command(portal_cli)
