# Shared by the benchmark scripts: builds a release gilde, seeds a database (SQLite in a
# temporary folder, or PostgreSQL when DATABASE_URL is set), writes 200 people's tokens to
# $WORK/tokens and starts `gilde serve` on $PORT. Settings: POSTS, PEOPLE, NGROUPS, PORT,
# GILDE_BIN.
POSTS="${POSTS:-1000000}" PEOPLE="${PEOPLE:-10000}" NGROUPS="${NGROUPS:-500}" PORT="${PORT:-18080}"

if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -q wrk >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
  else
    echo "wrk is needed: apt-get install wrk" >&2; exit 1
  fi
fi

# GILDE_BIN: an already built binary (to compare two builds); otherwise a release build here.
if [ -n "${GILDE_BIN:-}" ]; then
  GILDE="$GILDE_BIN"
else
  cargo build --release --bin gilde -q
  GILDE="${CARGO_TARGET_DIR:-target}/release/gilde"
fi
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

# Tokens (sessions) of 200 seeded people.
for i in $(seq 1 200); do "$GILDE" admin token "seed_$(( i * (PEOPLE / 200) ))"; done > "$WORK/tokens"
"$GILDE" serve > "$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.2; done

# wrk's summary line, written by the Lua scripts' done().
WRK_DONE='done = function(summary, latency, requests)
  io.write(string.format("p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, %.0f requests/s, %d errors (non-2xx %d)\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6), summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end'

# rotating_get_lua FILE TOKENS PATH HEADER: a wrk script that GETs PATH, each request signed in
# as the next of the people in TOKENS (one per line), by HEADER: `bearer` (the client API) or
# `session` (the web UI's cookie).
rotating_get_lua() {
  local header
  case "$4" in
    bearer) header='["Authorization"] = "Bearer " .. token' ;;
    session) header='["Cookie"] = "gilde_session=" .. token' ;;
    *) echo "rotating_get_lua: unknown header $4" >&2; return 1 ;;
  esac
  cat > "$1" <<LUA
local tokens = {}
for line in io.lines("$2") do tokens[#tokens + 1] = line end
local n = 0
request = function()
  n = n + 1
  local token = tokens[(n % #tokens) + 1]
  return wrk.format("GET", "$3", { $header, ["User-Agent"] = "bench" })
end
$WRK_DONE
LUA
}
