#!/usr/bin/env bash
# Back up the database: one pg_dump archive in the custom format (compressed, restorable whole
# or table by table with scripts/restore.sh).
#
#   DATABASE_URL=postgres://user:password@host:5432/name scripts/backup.sh [DIRECTORY]
#
# Writes DIRECTORY/barometre-YYYYMMDDTHHMMSSZ.dump (default DIRECTORY: ./backups), readable by
# its owner only, and prints its path. The archive is checked (pg_restore --list) before it
# takes its final name, so a file with the final name is always a complete dump. With
# BACKUP_KEEP_DAYS=N, dumps of this directory older than N days are deleted afterwards.
# See docs/operations.md for the schedule and retention.
set -euo pipefail

: "${DATABASE_URL:?DATABASE_URL must name the PostgreSQL database to back up}"
case "$DATABASE_URL" in
  postgres://* | postgresql://*) ;;
  *) echo "DATABASE_URL is not a PostgreSQL URL: nothing to do with pg_dump." >&2; exit 2 ;;
esac

directory="${1:-backups}"
mkdir -p "$directory"
umask 077  # the dump holds respondents' contact data
file="$directory/barometre-$(date -u +%Y%m%dT%H%M%SZ).dump"

pg_dump --format=custom --compress=6 --no-owner --no-privileges \
  --file="$file.partial" --dbname="$DATABASE_URL"
pg_restore --list "$file.partial" >/dev/null
mv "$file.partial" "$file"

if [[ -n "${BACKUP_KEEP_DAYS:-}" ]]; then
  find "$directory" -maxdepth 1 -name 'barometre-*.dump' -mtime +"$BACKUP_KEEP_DAYS" -delete
fi
echo "$file"
