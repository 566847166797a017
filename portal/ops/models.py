"""Rows the worker reads and writes: mail to deliver, job locks, its heartbeat and background exports."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import utcnow
from portal.extensions import db

# --- mail ----------------------------------------------------------------------------------------

MAIL_PENDING = "pending"  # waiting for its (next) attempt
MAIL_SENT = "sent"
MAIL_FAILED = "failed"  # gave up after MAIL_MAX_ATTEMPTS; a manager may resend it
MAIL_SUPPRESSED = "suppressed"  # not sent on purpose: the delivery rule (see portal/ops/outbox.py)
MAIL_STATUSES = (MAIL_PENDING, MAIL_SENT, MAIL_FAILED, MAIL_SUPPRESSED)
MAIL_STATUS_LABELS = {
    MAIL_PENDING: _l("Waiting to be sent"),
    MAIL_SENT: _l("Sent"),
    MAIL_FAILED: _l("Not delivered"),
    MAIL_SUPPRESSED: _l("Not sent by rule"),
}


class OutboxMessage(db.Model):
    """One mail, written in the transaction of the action that causes it and delivered by the worker."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(f"status IN {MAIL_STATUSES}", name="status_known"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The same Message-ID on every attempt, so a receiving server can drop a repeat.
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    sender: Mapped[str] = mapped_column(String(254))
    to_address: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(400))
    body: Mapped[str] = mapped_column(Text)
    # Mail about the account itself (address confirmation, password reset) also goes to unconfirmed addresses.
    account_mail: Mapped[bool] = mapped_column(default=False)
    # Extra headers (List-Unsubscribe and List-Unsubscribe-Post on mail a person may turn off).
    headers: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default=MAIL_PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Taken by a worker while it talks to the SMTP server, so two workers never send the same mail together.
    claimed_until: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None]

    @property
    def status_label(self) -> str:
        return str(MAIL_STATUS_LABELS[self.status])


# --- scheduled jobs and the worker ---------------------------------------------------------------


class JobRun(db.Model):
    """A scheduled job's lock and last run: whoever moves `locked_until` into the future runs the job."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    locked_until: Mapped[datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(120))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    last_summary: Mapped[str | None] = mapped_column(String(500))
    last_error: Mapped[str | None] = mapped_column(String(500))


class WorkerHeartbeat(db.Model):
    """Each worker process writes the time here every minute; /healthz/worker reads it."""

    __tablename__ = "worker_heartbeats"

    worker: Mapped[str] = mapped_column(String(120), primary_key=True)  # host:pid
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


# --- background exports --------------------------------------------------------------------------

EXPORT_QUEUED = "queued"
EXPORT_RUNNING = "running"
EXPORT_DONE = "done"
EXPORT_FAILED = "failed"
EXPORT_STATUSES = (EXPORT_QUEUED, EXPORT_RUNNING, EXPORT_DONE, EXPORT_FAILED)
EXPORT_FORMATS = ("csv", "xlsx")
EXPORT_STATUS_LABELS = {
    EXPORT_QUEUED: _l("Waiting for the worker"),
    EXPORT_RUNNING: _l("Being written"),
    EXPORT_DONE: _l("Ready"),
    EXPORT_FAILED: _l("Failed"),
}


class ExportJob(db.Model):
    """A large table written by the worker to a file its owner downloads for a day."""

    __tablename__ = "export_jobs"
    __table_args__ = (
        CheckConstraint(f"status IN {EXPORT_STATUSES}", name="status_known"),
        CheckConstraint(f"fmt IN {EXPORT_FORMATS}", name="format_known"),
        CheckConstraint("progress >= 0 AND total >= 0", name="progress_not_negative"),
        # One running export per person, held by the database under any concurrency.
        Index("uq_export_jobs_one_running", "owner_id", unique=True,
              sqlite_where=text("status IN ('queued', 'running')"),
              postgresql_where=text("status IN ('queued', 'running')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    fmt: Mapped[str] = mapped_column(String(4))
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    title: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(10), default=EXPORT_QUEUED)
    progress: Mapped[int] = mapped_column(default=0)  # rows written
    total: Mapped[int] = mapped_column(default=0)  # rows expected
    filename: Mapped[str | None] = mapped_column(String(200))  # offered to the browser
    file_path: Mapped[str | None] = mapped_column(String(500))  # under UPLOAD_DIR/exports
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]

    owner = relationship("User")

    @property
    def percent(self) -> int:
        if self.status == EXPORT_DONE:
            return 100
        return min(99, self.progress * 100 // self.total) if self.total else 0

    @property
    def status_label(self) -> str:
        return str(EXPORT_STATUS_LABELS[self.status])
