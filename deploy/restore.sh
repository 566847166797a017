#!/usr/bin/env bash
# Restore a folder made by backup.sh into DATABASE_URL and UPLOAD_DIR. Stop the app and the worker first.
#   DATABASE_URL=... UPLOAD_DIR=... deploy/restore.sh /var/backups/portal/20261123T020000Z
# The current uploads are kept aside in UPLOAD_DIR.before-restore-<time>; the database is replaced.
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL}"
: "${UPLOAD_DIR:?set UPLOAD_DIR}"
src="${1:?usage: restore.sh BACKUP_DIR}"
(cd "$src" && sha256sum --check --quiet SHA256SUMS)
case "$DATABASE_URL" in
  postgresql*)
    pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
      --dbname="${DATABASE_URL/+psycopg/}" "$src/database.dump" ;;
  sqlite:///*)
    path="${DATABASE_URL#sqlite:///}"
    rm -f "$path-wal" "$path-shm"
    cp "$src/database.sqlite3" "$path.restoring" && mv "$path.restoring" "$path" ;;
  *) echo "restore.sh: unsupported DATABASE_URL" >&2; exit 2 ;;
esac
if [ -d "$UPLOAD_DIR" ]; then
  mv "$UPLOAD_DIR" "$UPLOAD_DIR.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"
fi
mkdir -p "$UPLOAD_DIR"
tar -C "$UPLOAD_DIR" -xzf "$src/uploads.tar.gz"
echo "restored $src"
