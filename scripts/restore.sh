#!/usr/bin/env bash
# Restore a dump made by scripts/backup.sh into the database named by DATABASE_URL.
#
#   DATABASE_URL=postgres://user:password@host:5432/name scripts/restore.sh [--replace] FILE
#
# The target database must exist (createdb). It must be empty, unless --replace is given: then
# the tables of the dump are dropped and re-created there. The restore runs in one transaction:
# on any error nothing is changed. Stop the application (or point it elsewhere) first.
set -euo pipefail

replace=""
if [[ "${1:-}" == "--replace" ]]; then
  replace=1
  shift
fi
file="${1:?usage: scripts/restore.sh [--replace] FILE}"
: "${DATABASE_URL:?DATABASE_URL must name the PostgreSQL database to restore into}"
[[ -r "$file" ]] || { echo "Cannot read $file" >&2; exit 2; }
pg_restore --list "$file" >/dev/null

tables=$(psql "$DATABASE_URL" -XtAc \
  "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
if [[ "$tables" != "0" && -z "$replace" ]]; then
  echo "The target database already has $tables tables: restore into an empty database," \
    "or give --replace to overwrite them." >&2
  exit 3
fi

pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
  ${replace:+--clean --if-exists} --dbname="$DATABASE_URL" "$file"
echo "Restored $file"
