#!/usr/bin/env bash
# Back up the database and the uploads into a new dated folder under DEST:
#   DATABASE_URL=... UPLOAD_DIR=... deploy/backup.sh /var/backups/portal
# PostgreSQL: pg_dump's custom format (consistent while the portal runs). SQLite: the online backup API.
# Uploads: a tar of UPLOAD_DIR. Checksums in SHA256SUMS; the folder's path is printed last.
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL}"
: "${UPLOAD_DIR:?set UPLOAD_DIR}"
dest="${1:?usage: backup.sh DEST_DIR}/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$dest"
case "$DATABASE_URL" in
  postgresql*)
    pg_dump --format=custom --no-owner --no-privileges --file="$dest/database.dump" \
      --dbname="${DATABASE_URL/+psycopg/}" ;;
  sqlite:///*)
    "${PYTHON:-python3}" - "${DATABASE_URL#sqlite:///}" "$dest/database.sqlite3" <<'PY'
import sqlite3, sys
source, target = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
with target:
    source.backup(target)
source.close(); target.close()
PY
    ;;
  *) echo "backup.sh: unsupported DATABASE_URL" >&2; exit 2 ;;
esac
mkdir -p "$UPLOAD_DIR"
tar -C "$UPLOAD_DIR" -czf "$dest/uploads.tar.gz" .
(cd "$dest" && sha256sum database.* uploads.tar.gz > SHA256SUMS)
echo "$dest"
