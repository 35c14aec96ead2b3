#!/usr/bin/env bash
# `npm run db:backup -- [out-dir]`: a consistent logical backup of DATABASE_URL in pg_dump's custom format
# (compressed; restorable table by table; `npm run db:restore -- <file>` loads it into a fresh database).
# pg_dump reads one MVCC snapshot, so the dump is consistent while Pier keeps running; it holds no lock that
# blocks Pier's writes. Prints the path of the finished file; a failed run leaves no file behind.
# Needs pg_dump/pg_restore (PostgreSQL client ≥ the server's major version) on PATH.
set -euo pipefail
url="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/pier}"
out_dir="${1:-backups}"
mkdir -p "$out_dir"
file="$out_dir/pier-$(date -u +%Y%m%dT%H%M%SZ).dump"
trap 'rm -f "$file.partial"' EXIT
pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$file.partial" "$url"
# The table of contents must read back: a truncated or corrupt file fails here, not on the day it is needed.
pg_restore --list "$file.partial" > /dev/null
mv "$file.partial" "$file"
echo "$file"
