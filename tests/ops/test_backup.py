"""deploy/backup.sh and deploy/restore.sh: a backup of the database and the uploads restores both."""

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.conftest import ON_POSTGRES
from tests.databases import _pg_bin

ROOT = Path(__file__).resolve().parents[2]


def _run(script: str, argument: str, database_url: str, uploads: Path) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "UPLOAD_DIR": str(uploads), "PYTHON": sys.executable}
    if ON_POSTGRES:
        env["PATH"] = f"{_pg_bin()}:{env['PATH']}"
    done = subprocess.run([str(ROOT / "deploy" / script), argument], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def _scratch_database(tmp_path, database_url):
    """A database of its own with one table: on the run's PostgreSQL server, or a SQLite file."""
    if not ON_POSTGRES:
        return f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS backup_scratch"))
        conn.execute(text("CREATE DATABASE backup_scratch"))
    admin.dispose()
    return database_url.rsplit("/", 1)[0] + "/backup_scratch"


def _rows(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [r[0] for r in conn.execute(text("SELECT name FROM things ORDER BY name"))]
    engine.dispose()
    return rows


def test_backup_and_restore_bring_back_the_database_and_the_uploads(tmp_path, database_url):
    url = _scratch_database(tmp_path, database_url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE things (name VARCHAR(60) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO things VALUES ('scan of invoice 1'), ('prize photo')"))
    engine.dispose()
    uploads = tmp_path / "uploads"
    (uploads / "scans").mkdir(parents=True)
    (uploads / "scans" / "invoice.pdf").write_bytes(b"%PDF-1.4 invoice")

    backup = _run("backup.sh", str(tmp_path / "backups"), url, uploads)
    names = {p.name for p in Path(backup).iterdir()}
    assert names == {"SHA256SUMS", "uploads.tar.gz", "database.dump" if ON_POSTGRES else "database.sqlite3"}

    # disaster: rows and files lost
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM things"))
        conn.execute(text("INSERT INTO things VALUES ('written after the backup')"))
    engine.dispose()
    (uploads / "scans" / "invoice.pdf").unlink()

    _run("restore.sh", backup, url, uploads)
    assert _rows(url) == ["prize photo", "scan of invoice 1"]
    assert (uploads / "scans" / "invoice.pdf").read_bytes() == b"%PDF-1.4 invoice"
    assert list(tmp_path.glob("uploads.before-restore-*"))  # what was there is kept aside

    # a damaged backup is refused
    archive = Path(backup) / "uploads.tar.gz"
    archive.write_bytes(archive.read_bytes()[:-10])
    env = {**os.environ, "DATABASE_URL": url, "UPLOAD_DIR": str(uploads)}
    refused = subprocess.run([str(ROOT / "deploy" / "restore.sh"), backup], env=env, capture_output=True, timeout=60)
    assert refused.returncode != 0
