#!/usr/bin/env bash
# Makes sure Postgres and Redis answer (and, with --test, that Debian's Chromium and redis-server are installed).
# Uses DATABASE_URL / REDIS_URL when given; otherwise the local defaults, starting them — and installing
# Debian's packages when running as root — if needed. Prints exactly what to do when it cannot.
set -euo pipefail

# --test: also what the test suite needs (Chromium for Playwright, redis-server for the outage tests).
for_tests=false
[ "${1:-}" = "--test" ] && for_tests=true

say() { echo "[pier] $*"; }
is_root() { [ "$(id -u)" = "0" ]; }
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
wait_port() { for _ in $(seq 1 60); do port_open "$1" "$2" && return 0; sleep 0.5; done; return 1; }

apt_updated=false
apt_install() {
  if ! is_root; then
    say "missing: $*. Install it with: sudo apt-get install -y $*"
    exit 1
  fi
  if [ "$apt_updated" = false ]; then apt-get update -qq >/dev/null; apt_updated=true; fi
  say "installing $* (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# host and port from a URL like scheme://user@host:port/db
url_host() { sed -E 's#^[a-z]+://([^@/]*@)?([^:/?]+).*#\2#' <<<"$1"; }
url_port() { local p; p=$(sed -nE 's#^[a-z]+://([^@/]*@)?[^:/?]+:([0-9]+).*#\2#p' <<<"$1"); echo "${p:-$2}"; }

# ── Postgres ──
db_url="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/pier}"
db_host=$(url_host "$db_url"); db_port=$(url_port "$db_url" 5432)
pg_version() { ls /etc/postgresql 2>/dev/null | sort -V | tail -n1; }
# Local TCP connections without a password, as the default DATABASE_URL expects (only for a local cluster we manage).
allow_local_trust() {
  local hba="/etc/postgresql/$(pg_version)/main/pg_hba.conf"
  [ -f "$hba" ] || return 0
  grep -q "^host all all 127.0.0.1/32 trust" "$hba" && return 0
  say "letting local TCP connections into Postgres without a password ($hba)"
  sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  pg_ctlcluster --skip-systemctl-redirect "$(pg_version)" main reload 2>/dev/null || true
}
# Can we log in with the URL's credentials? (Needs node_modules; skipped before the first install.)
pg_login_ok() {
  [ -d node_modules/pg ] || return 0
  local admin_url="${db_url%/*}/postgres"
  node -e 'const {Client}=require("pg");const c=new Client({connectionString:process.argv[1]});c.connect().then(()=>c.end()).then(()=>process.exit(0),(e)=>{console.error("[pier] Postgres: "+e.message);process.exit(1)})' "$admin_url"
}
is_local_db() { [ -z "${DATABASE_URL:-}" ] || [ "$db_host" = "127.0.0.1" ] || [ "$db_host" = "localhost" ]; }

if ! port_open "$db_host" "$db_port"; then
  is_local_db || { say "Postgres at $db_host:$db_port (DATABASE_URL) does not answer"; exit 1; }
  if [ -z "$(pg_version)" ]; then apt_install postgresql; is_root && allow_local_trust; fi
  is_root || { say "Postgres is not running. Start it with: sudo pg_ctlcluster $(pg_version) main start"; exit 1; }
  say "starting Postgres $(pg_version)"
  pg_ctlcluster --skip-systemctl-redirect "$(pg_version)" main start || true
  wait_port "$db_host" "$db_port" || { say "Postgres did not start on $db_host:$db_port"; exit 1; }
fi
if ! pg_login_ok; then
  if [ -z "${DATABASE_URL:-}" ] && is_root && [ -n "$(pg_version)" ]; then
    allow_local_trust
    pg_login_ok || { say "cannot log in to Postgres at $db_host:$db_port; set DATABASE_URL with credentials"; exit 1; }
  else
    say "cannot log in to Postgres at $db_host:$db_port; set DATABASE_URL with credentials (e.g. postgresql://user:password@host:5432/pier)"
    exit 1
  fi
fi

# ── Redis ──
redis_url="${REDIS_URL:-redis://127.0.0.1:6379}"
r_host=$(url_host "$redis_url"); r_port=$(url_port "$redis_url" 6379)
if ! port_open "$r_host" "$r_port"; then
  if [ -n "${REDIS_URL:-}" ] && [ "$r_host" != "127.0.0.1" ] && [ "$r_host" != "localhost" ]; then
    say "Redis at $r_host:$r_port (REDIS_URL) does not answer"; exit 1
  fi
  command -v redis-server >/dev/null || apt_install redis-server
  say "starting Redis on port $r_port"
  mkdir -p /tmp/pier-redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$r_port" --save "" --appendonly no --dir /tmp/pier-redis --logfile /tmp/pier-redis/redis.log
  wait_port "$r_host" "$r_port" || { say "Redis did not start on $r_host:$r_port"; exit 1; }
fi

# ── Test tools ──
if [ "$for_tests" = true ]; then
  [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || apt_install chromium
  command -v redis-server >/dev/null || apt_install redis-server
fi
say "Postgres $db_host:$db_port and Redis $r_host:$r_port are up"
