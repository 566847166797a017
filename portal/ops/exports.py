"""Background exports: the worker writes a large table to a file (XLSX in openpyxl's write-only mode, or CSV)
in constant memory, records its progress for the progress page, and keeps the file for a day."""

import json
import logging
import os
import secrets
import time
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.core.errors import DomainError
from portal.core.exports import EXPORT_BUILDERS, Table, write_csv, write_xlsx
from portal.core.time import utcnow
from portal.extensions import db
from portal.ops.models import EXPORT_DONE, EXPORT_FAILED, EXPORT_QUEUED, EXPORT_RUNNING, ExportJob

log = logging.getLogger("portal.exports")

PROGRESS_EVERY_ROWS = 1000
PROGRESS_EVERY_SECONDS = 0.5
# A queued or running export older than this lost its worker: it is marked failed, freeing its owner.
ABANDONED_AFTER = timedelta(hours=2)


class ExportRunning(DomainError):
    def __init__(self, job_id: int):
        super().__init__(_l("Your previous export is still being written: wait for it to finish."))
        self.job_id = job_id


def start_export(owner, kind: str, params: dict, fmt: str, title: str = "", total: int = 0) -> ExportJob:
    """Queue an export for the worker; one running export per person (`owner`, a User). Flushes."""
    if kind not in EXPORT_BUILDERS or fmt not in ("csv", "xlsx"):
        raise DomainError(_l("This export does not exist."))
    running = db.session.scalar(select(ExportJob.id).where(
        ExportJob.owner_id == owner.id, ExportJob.status.in_((EXPORT_QUEUED, EXPORT_RUNNING))))
    if running:
        raise ExportRunning(running)
    job = ExportJob(owner_id=owner.id, kind=kind, fmt=fmt, params=json.dumps(params, sort_keys=True),
                    title=str(title)[:200], total=total)
    try:
        with db.session.begin_nested():
            db.session.add(job)
    except IntegrityError:  # another request of the same person started one a moment ago
        running = db.session.scalar(select(ExportJob.id).where(
            ExportJob.owner_id == owner.id, ExportJob.status.in_((EXPORT_QUEUED, EXPORT_RUNNING))))
        raise ExportRunning(running) from None
    return job


def export_dir() -> Path:
    # Under UPLOAD_DIR: storage every app machine shares, so any of them can hand the file over.
    return Path(current_app.config["UPLOAD_DIR"]) / "exports"


def run_export(job_id: int) -> None:
    """The worker's side: build the table in the owner's language and write it. Commits."""
    started = db.session.execute(update(ExportJob).where(ExportJob.id == job_id, ExportJob.status == EXPORT_QUEUED)
                                 .values(status=EXPORT_RUNNING)).rowcount
    db.session.commit()
    if started != 1:
        return
    job = db.session.get(ExportJob, job_id)
    folder = export_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{job.id}-{secrets.token_hex(8)}.{job.fmt}"
    partial = path.with_suffix(path.suffix + ".part")
    try:
        with force_locale(job.owner.locale):
            table = EXPORT_BUILDERS[job.kind](json.loads(job.params))
            _progress(job.id, 0, table.total)
            write = _write_xlsx if job.fmt == "xlsx" else _write_csv
            written = write(partial, table, lambda n: _progress(job.id, n, max(table.total, n)))
        os.replace(partial, path)
    except Exception as exc:  # noqa: BLE001 - whatever broke, the person is told the export failed
        db.session.rollback()
        partial.unlink(missing_ok=True)
        log.exception("Export %s (%s) failed", job_id, job.kind)
        _finish(job_id, status=EXPORT_FAILED, error=f"{type(exc).__name__}"[:500])
        return
    db.session.rollback()  # the builder only read
    _finish(job_id, status=EXPORT_DONE, progress=written, total=written, file_path=str(path),
            filename=f"{table.filename}.{job.fmt}")


def _progress(job_id: int, done: int, total: int) -> None:
    # A session of its own: the builder's query is still being read in db.session.
    with Session(db.engine) as session:
        session.execute(update(ExportJob).where(ExportJob.id == job_id).values(progress=done, total=total))
        session.commit()


def _finish(job_id: int, **values) -> None:
    now = utcnow()
    db.session.execute(update(ExportJob).where(ExportJob.id == job_id).values(
        finished_at=now, expires_at=now + current_app.config["EXPORT_KEEP_FOR"], **values))
    db.session.commit()


def _report_every(report):
    """Call report(n) every PROGRESS_EVERY_ROWS rows, but not more often than twice a second."""
    last = [0.0]

    def tick(n: int) -> None:
        if n % PROGRESS_EVERY_ROWS == 0 and time.monotonic() - last[0] >= PROGRESS_EVERY_SECONDS:
            last[0] = time.monotonic()
            report(n)

    return tick


def _write_xlsx(path: Path, table: Table, report) -> int:
    return write_xlsx(path, table, _report_every(report))


def _write_csv(path: Path, table: Table, report) -> int:
    # The BOM, like the immediate CSV exports: Excel then reads the file as UTF-8.
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        return write_csv(fh, table, _report_every(report))


def describe_export(job: ExportJob) -> dict:
    """What the progress page polls."""
    ready = ready_file(job) is not None
    return {"status": job.status, "label": job.status_label, "percent": job.percent, "progress": job.progress,
            "total": job.total, "error": str(_l("The export failed. Try again; if it fails again, tell the "
                                                 "program team.")) if job.status == EXPORT_FAILED else None,
            "expired": job.status == EXPORT_DONE and not ready,
            "download_url": url_for("ops.export_download", job_id=job.id) if ready else None}


def ready_file(job: ExportJob) -> Path | None:
    if job.status != EXPORT_DONE or not job.file_path or (job.expires_at and job.expires_at <= utcnow()):
        return None
    path = Path(job.file_path)
    return path if path.is_file() else None


def remove_expired_exports(now: datetime) -> int:
    """Delete files past their day; mark exports whose worker vanished as failed. Commits."""
    removed = 0
    for job in db.session.scalars(select(ExportJob).where(ExportJob.file_path.is_not(None),
                                                          ExportJob.expires_at <= now)):
        Path(job.file_path).unlink(missing_ok=True)
        job.file_path = None
        removed += 1
    db.session.execute(update(ExportJob).where(ExportJob.status.in_((EXPORT_QUEUED, EXPORT_RUNNING)),
                                               ExportJob.created_at < now - ABANDONED_AFTER)
                       .values(status=EXPORT_FAILED, error="abandoned", finished_at=now, expires_at=now))
    db.session.commit()
    return removed
