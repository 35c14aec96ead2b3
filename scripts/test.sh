#!/usr/bin/env bash
# `npm test`: every check Pier has, in order — type-check, lint, Vitest (unit + integration against real
# Postgres/Redis, throw-away database per file, v8 coverage of server/ and workers/ with an 80% line floor),
# production build, Playwright e2e in Debian's Chromium against `next start` + the worker process.
# Ends with one line: `tests: N passed, N failed`. Exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
mkdir -p test-results
rm -f test-results/vitest.json test-results/e2e-results.json

status=0
failed_checks=0
failed_names=""
step() { echo; echo "━━ $* ━━"; }
fail() { echo "✗ $*"; status=1; }
# A failed check that is not itself a test run (its tests, if any, are counted from their reports).
fail_check() { fail "$1"; failed_checks=$((failed_checks + 1)); failed_names="$failed_names $1"; }

step "services"
bash scripts/ensure-services.sh --test || exit 1
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci"; npm ci --no-audit --no-fund || exit 1
fi
[ -d generated/prisma ] || node_modules/.bin/prisma generate --no-hints || exit 1

step "type-check"; node_modules/.bin/tsc --noEmit -p . || fail_check "type-check"
step "lint"
node_modules/.bin/eslint --max-warnings=0 . || fail_check "lint"
# Module boundaries (.dependency-cruiser.cjs): no domain cycles, no test support in production, app/workers use public modules.
npm run --silent lint:deps || fail_check "lint:deps"
# Formatting (.prettierrc.json); `npm run format` fixes it.
node_modules/.bin/prettier --check --log-level warn . || fail_check "format"
# Dead exports, unused files and dependencies (knip.json).
npm run --silent lint:dead || fail_check "lint:dead"

step "vitest (coverage of server/ and workers/, lines ≥ 80%)"
if ! node_modules/.bin/vitest run --coverage --reporter=default --reporter=json --outputFile.json=test-results/vitest.json; then
  # Failing tests are counted from the report; a pass with exit 1 means the coverage floor was missed.
  if node -e 'const r=require("./test-results/vitest.json");process.exit(r.numFailedTests+r.numFailedTestSuites>0?0:1)' 2>/dev/null; then fail "vitest"; else fail_check "coverage"; fi
fi

step "build"
if node_modules/.bin/next build > test-results/build.log 2>&1; then
  tail -n 5 test-results/build.log
  run_id="$(date +%s)$$"
  export DATABASE_URL="${PIER_E2E_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/pier_e2e_$run_id}"
  export REDIS_PREFIX="pier-e2e-$run_id"
  # e2e signs in with the demo accounts on a production build (next start): acknowledged, as server/env.ts requires.
  export PIER_DEMO_LOGIN=true PIER_DEMO_LOGIN_IN_PRODUCTION=i-understand-anyone-can-sign-in-as-admin PIER_E2E=true
  export PIER_METRICS_TOKEN="${PIER_METRICS_TOKEN:-e2e-metrics-token-0123456789}" # e2e scrapes /api/metrics with it
  export AUTH_SECRET="${AUTH_SECRET:-$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64"))')}"
  export PIER_ENCRYPTION_KEY="${PIER_ENCRYPTION_KEY:-$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64"))')}"
  export PIER_AUDIT_CHECKPOINT_KEY="${PIER_AUDIT_CHECKPOINT_KEY:-$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64"))')}"
  step "e2e database"
  if node_modules/.bin/tsx scripts/migrate.ts && node_modules/.bin/tsx prisma/seed.ts; then
    # What the container image runs: node .next/standalone/server.js (static + public beside it) answers /api/health.
    step "standalone server"
    node scripts/check-standalone.mjs || fail_check "standalone-server"
    step "playwright"
    node_modules/.bin/playwright test || fail "playwright"
  else
    fail_check "e2e-database"
  fi
  # Drop the e2e database unless one was given.
  if [ -z "${PIER_E2E_DATABASE_URL:-}" ]; then
    psql_url="${DATABASE_URL%/*}/postgres"
    node -e 'const {Client}=require("pg");const c=new Client({connectionString:process.argv[1]});c.connect().then(()=>c.query(`DROP DATABASE IF EXISTS "${process.argv[2]}" WITH (FORCE)`)).finally(()=>c.end())' "$psql_url" "pier_e2e_$run_id" || true
  fi
else
  tail -n 40 test-results/build.log
  fail_check "build"
fi

PIER_FAILED_CHECKS=$failed_checks PIER_FAILED_NAMES="$failed_names" node scripts/test-summary.mjs
summary_status=$?
[ $summary_status -ne 0 ] && status=1
exit $status
