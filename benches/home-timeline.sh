#!/usr/bin/env bash
# Home-timeline reads at scale: seeds N posts (default 1,000,000), starts a release build, and
# loads GET /api/v1/timelines/home with wrk from 200 different people's tokens.
#
#   benches/home-timeline.sh                         # SQLite in a temporary folder
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/gilde_bench benches/home-timeline.sh
#
# Settings: POSTS (1000000), PEOPLE (10000), NGROUPS (500), DURATION (30s), CONNECTIONS (32),
# THREADS (2), PORT (18080). Prints wrk's latency distribution and requests per second.
set -euo pipefail
cd "$(dirname "$0")/.."
POSTS="${POSTS:-1000000}" PEOPLE="${PEOPLE:-10000}" NGROUPS="${NGROUPS:-500}"
DURATION="${DURATION:-30s}" CONNECTIONS="${CONNECTIONS:-32}" THREADS="${THREADS:-2}" PORT="${PORT:-18080}"

if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -q wrk >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
  else
    echo "wrk is needed: apt-get install wrk" >&2; exit 1
  fi
fi

cargo build --release --bin gilde -q
GILDE="${CARGO_TARGET_DIR:-target}/release/gilde"
WORK="$(mktemp -d)"
trap 'kill "${SERVER:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
export GILDE_DATA_DIR="$WORK" GILDE_BIND="127.0.0.1:$PORT" GILDE_DOMAIN="127.0.0.1:$PORT" GILDE_LOG=warn GILDE_DB_POOL_SIZE=16
if [ -n "${DATABASE_URL:-}" ]; then
  db="${DATABASE_URL##*/}"; admin="${DATABASE_URL%/*}/postgres"
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  echo "backend: PostgreSQL ($db)"
else
  echo "backend: SQLite ($WORK/gilde.db)"
fi

echo "seeding $PEOPLE people, $NGROUPS groups, $POSTS posts..."
start=$(date +%s)
"$GILDE" admin seed --people "$PEOPLE" --groups "$NGROUPS" --posts "$POSTS"
echo "seeded in $(( $(date +%s) - start ))s"
# A live PostgreSQL database is vacuumed by autovacuum; do it now so index-only scans apply.
if [ -n "${DATABASE_URL:-}" ]; then psql "$DATABASE_URL" -qc "VACUUM ANALYZE"; fi

# Tokens of 200 seeded people, rotated by the wrk script.
for i in $(seq 1 200); do "$GILDE" admin token "seed_$(( i * (PEOPLE / 200) ))"; done > "$WORK/tokens"
"$GILDE" serve > "$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.2; done

cat > "$WORK/home.lua" <<LUA
local tokens = {}
for line in io.lines("$WORK/tokens") do tokens[#tokens + 1] = line end
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/api/v1/timelines/home?limit=20", { ["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1] })
end
done = function(summary, latency, requests)
  io.write(string.format("p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, %.0f requests/s, %d errors (non-2xx %d)\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6), summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
LUA
# One request first: check the answer is a full page of statuses.
curl -sf -H "Authorization: Bearer $(head -n1 "$WORK/tokens")" "http://127.0.0.1:$PORT/api/v1/timelines/home?limit=20" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d)==20, len(d); print("first page:", len(d), "statuses")'
echo "== one connection (latency of a single reader)"
wrk -t1 -c1 -d"$DURATION" --latency -s "$WORK/home.lua" "http://127.0.0.1:$PORT/" | tail -n1
echo "== $CONNECTIONS connections (throughput)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/home.lua" "http://127.0.0.1:$PORT/" | tail -n1
