#!/usr/bin/env bash
# Writes a new migration from the change to prisma/schema.prisma since the last commit:
#   npm run db:new-migration -- add_service_owner
# It diffs the committed schema (git HEAD) against the working copy with `prisma migrate diff` (no shadow
# database needed), writes prisma/migrations/<timestamp>_<name>/migration.sql and regenerates the client.
# `--squash-init` (pre-release only, before the first deployment) instead rewrites the single init migration
# from the whole schema.
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/pier}"
name="${1:-}"
[ -n "$name" ] || { echo "usage: npm run db:new-migration -- <name> | --squash-init" >&2; exit 2; }
# prisma.config.ts connects the driver adapter even for a pure schema diff: the database must exist.
node_modules/.bin/tsx scripts/ensure-database.ts
if [ "$name" = "--squash-init" ]; then
  init=$(ls -d prisma/migrations/*_init | head -n1)
  npx prisma migrate diff --from-empty --to-schema-datamodel prisma/schema.prisma --script > "$init/migration.sql"
  echo "rewrote $init/migration.sql"
else
  [[ "$name" =~ ^[a-z0-9_]+$ ]] || { echo "migration name: lowercase letters, digits and _ only" >&2; exit 2; }
  prev=$(mktemp --suffix=.prisma)
  trap 'rm -f "$prev"' EXIT
  git show HEAD:prisma/schema.prisma > "$prev"
  dir="prisma/migrations/$(date -u +%Y%m%d%H%M%S)_$name"
  sql=$(npx prisma migrate diff --from-schema-datamodel "$prev" --to-schema-datamodel prisma/schema.prisma --script)
  if ! grep -qv '^\s*\(--.*\)\?$' <<<"$sql"; then echo "schema.prisma has no changes since HEAD: nothing to migrate"; exit 0; fi
  mkdir -p "$dir"
  printf '%s\n' "$sql" > "$dir/migration.sql"
  echo "wrote $dir/migration.sql"
fi
npx prisma generate --no-hints >/dev/null
echo "regenerated the Prisma client; apply with: npm run db:migrate"
