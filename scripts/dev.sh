#!/usr/bin/env bash
# `npm run dev`: Next in development mode (hot reload) plus the workers, against the local database.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
bash scripts/ensure-services.sh
node_modules/.bin/tsx scripts/migrate.ts
pids=()
trap 'for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done' INT TERM EXIT
setsid node_modules/.bin/next dev -p "${PORT:-3000}" & pids+=($!)
setsid node_modules/.bin/tsx watch workers/index.ts & pids+=($!)
wait -n "${pids[@]}"
