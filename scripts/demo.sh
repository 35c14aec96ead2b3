#!/usr/bin/env bash
# `npm run demo`: sets up and runs Pier with seeded demo data on this machine, no configuration needed.
# Installs dependencies if missing, makes sure Postgres and Redis run (installing Debian's packages as root
# when absent), creates and migrates the database, seeds the demo organisation, builds, then runs the web
# server and the workers together until Ctrl-C. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
say() { echo "[pier] $*"; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi
[ -d generated/prisma ] || node_modules/.bin/prisma generate --no-hints

bash scripts/ensure-services.sh

# Stable local secrets for the demo (kept in .pier/, which git ignores), so sessions survive restarts.
mkdir -p .pier
if [ ! -f .pier/demo.env ]; then
  umask 077
  {
    echo "AUTH_SECRET=$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64"))')"
    echo "PIER_ENCRYPTION_KEY=$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64"))')"
  } > .pier/demo.env
fi
# The audit checkpoint key must survive restarts too (checkpoints signed earlier are verified with it).
if ! grep -q '^PIER_AUDIT_CHECKPOINT_KEY=' .pier/demo.env; then
  (umask 077 && echo "PIER_AUDIT_CHECKPOINT_KEY=$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64"))')" >> .pier/demo.env)
fi
set -a
# shellcheck disable=SC1091
. .pier/demo.env
set +a
export PIER_DEMO_LOGIN="${PIER_DEMO_LOGIN:-true}"
# The demo is a production build (next start) with demo sign-in on, which server/env.ts refuses unless acknowledged.
case "$PIER_DEMO_LOGIN" in true | 1 | yes) export PIER_DEMO_LOGIN_IN_PRODUCTION=i-understand-anyone-can-sign-in-as-admin ;; esac
export PORT="${PORT:-3000}"
export PIER_BASE_URL="${PIER_BASE_URL:-http://localhost:$PORT}"

say "migrating the database"
node_modules/.bin/tsx scripts/migrate.ts
say "seeding demo data"
node_modules/.bin/tsx prisma/seed.ts

# Rebuild only when sources changed since the last build.
if [ ! -f .next/BUILD_ID ] || [ -n "$(find app server prisma workers public package.json next.config.ts -newer .next/BUILD_ID -print -quit 2>/dev/null)" ]; then
  say "building (about a minute on 2 cores)"
  node_modules/.bin/next build > .pier/build.log 2>&1 || { tail -n 40 .pier/build.log; exit 1; }
fi

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  say "port $PORT is already in use (is Pier already running?). Choose another with PORT=3001 npm run demo"
  exit 1
fi

pids=()
cleanup() {
  trap - INT TERM EXIT
  say "stopping"
  for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

# Each process in its own process group so stopping it also stops its children.
setsid node_modules/.bin/next start -p "$PORT" & pids+=($!)
setsid node_modules/.bin/tsx workers/index.ts & pids+=($!)

for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$PORT/api/health" >/dev/null 2>&1; then break; fi
  sleep 0.5
done
say "Pier is running: $PIER_BASE_URL  (sign in as Dana, Alex or Sam; Ctrl-C stops it)"
wait -n "${pids[@]}"
