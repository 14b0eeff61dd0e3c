#!/usr/bin/env bash
# Gilde and GoToSocial side by side on this machine, the same data shape, the same load:
# idle memory, the home timeline over the Mastodon API (200 people's tokens, 1 and 32
# connections) and posting (16 connections), then the ratio Gilde : GoToSocial.
#
#   benches/side-by-side.sh                # both on SQLite
#
# GoToSocial comes from ../shared/peers (or GILDE_PEERS_DIR). Its database gets the shape of
# `gilde admin seed` (benches/gotosocial-seed.py): PEOPLE people, NGROUPS "group" accounts (it
# has no groups; people follow them as Mastodon users follow a Lemmy community), each person
# following 10 people and 5 groups, POSTS posts, 4 in 5 by groups.
#
# Settings: POSTS (1000000), PEOPLE (10000), NGROUPS (500), DURATION (20s), CONNECTIONS (32),
# POST_CONNECTIONS (16), THREADS (2), PORT (18080), GTS_PORT (18090), GILDE_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-20s}" CONNECTIONS="${CONNECTIONS:-32}" POST_CONNECTIONS="${POST_CONNECTIONS:-16}" THREADS="${THREADS:-2}"
GTS_PORT="${GTS_PORT:-18090}"
PEERS="${GILDE_PEERS_DIR:-$(cd .. && pwd)/shared/peers}"
GTS="$PEERS/gotosocial/gotosocial"
test -x "$GTS" || { echo "no GoToSocial at $GTS (set GILDE_PEERS_DIR)" >&2; exit 1; }
# Posting is limited per token (300 a minute by default): not in this benchmark. GoToSocial's
# limits are off in its configuration below.
export GILDE_WRITE_RATE_PER_MINUTE=1000000
# shellcheck source=benches/common.sh
source benches/common.sh
trap 'kill "${SERVER:-}" "${GTS_PID:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

rss_mb() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
# "p50 X ms, p90 X ms, p99 X ms, N requests/s, ..." -> the field asked for.
field() { case "$1" in p50) awk '{print $2}' ;; p99) awk '{print $8}' ;; rps) awk '{print $10}' ;; esac; }

# Posting as one person (home: rotating_get_lua of benches/common.sh).
post_lua() {
  cat > "$WORK/post-$1.lua" <<LUA
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/api/v1/statuses", { ["Authorization"] = "Bearer $2", ["Content-Type"] = "application/json", ["User-Agent"] = "bench" },
    '{"status": "Bericht ' .. n .. ' over kennisdeling", "visibility": "public"}')
end
$WRK_DONE
LUA
}
check_page() {
  curl -sf -A bench -H "Authorization: Bearer $(head -n1 "$2")" "$1/api/v1/timelines/home?limit=20" \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d)==20, len(d); print("first page:", len(d), "statuses,", len(json.dumps(d)), "bytes")'
}
declare -A R
measure() { # name base-url tokens-file pid
  local name=$1 url=$2 tokens=$3 pid=$4
  sleep 2
  R[$name.rss]=$(rss_mb "$pid")
  echo "idle: ${R[$name.rss]} MB resident"
  check_page "$url" "$tokens"
  # Warm-up: every reader's home once (GoToSocial builds a reader's timeline in memory on the
  # first read, which takes a second or more; Gilde's database pages get into memory).
  start=$(date +%s.%N)
  xargs -P 8 -I{} curl -sf -o /dev/null -A bench -H "Authorization: Bearer {}" "$url/api/v1/timelines/home?limit=20" < "$tokens"
  echo "warm-up: every reader's first page in $(python3 -c "import sys,time; print(f'{time.time() - float(sys.argv[1]):.1f}')" "$start") s"
  rotating_get_lua "$WORK/home-$name.lua" "$tokens" "/api/v1/timelines/home?limit=20" bearer
  echo "== $name: home, one connection"
  out=$(wrk -t1 -c1 -d"$DURATION" --latency -s "$WORK/home-$name.lua" "$url/" | tail -n1); echo "$out"
  R[$name.p50_1]=$(field p50 <<<"$out"); R[$name.rps_1]=$(field rps <<<"$out")
  echo "== $name: home, $CONNECTIONS connections"
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/home-$name.lua" "$url/" | tail -n1); echo "$out"
  R[$name.p99_n]=$(field p99 <<<"$out"); R[$name.rps_n]=$(field rps <<<"$out")
  post_lua "$name" "$(sed -n 2p "$tokens")"
  echo "== $name: posting, $POST_CONNECTIONS connections"
  out=$(wrk -t"$THREADS" -c"$POST_CONNECTIONS" -d"$DURATION" --latency -s "$WORK/post-$name.lua" "$url/" | tail -n1); echo "$out"
  R[$name.post]=$(field rps <<<"$out")
}

echo "=== Gilde"
measure gilde "http://127.0.0.1:$PORT" "$WORK/tokens" "$SERVER"
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=

echo "=== GoToSocial ($("$GTS" --version 2>/dev/null | tail -n1))"
G="$WORK/gts"; mkdir -p "$G"
cat > "$G/config.yaml" <<YAML
host: "localhost:$GTS_PORT"
protocol: "http"
bind-address: "127.0.0.1"
port: $GTS_PORT
db-type: "sqlite"
db-address: "$G/gts.db"
storage-local-base-path: "$G/storage"
letsencrypt-enabled: false
accounts-registration-open: false
advanced-rate-limit-requests: 0
advanced-throttling-multiplier: 0
log-level: "warn"
web-template-base-dir: "$PEERS/gotosocial/web/template/"
web-asset-base-dir: "$PEERS/gotosocial/web/assets/"
YAML
GB="http://localhost:$GTS_PORT"
gts_start() {
  "$GTS" --config-path "$G/config.yaml" server start >> "$G/log" 2>&1 &
  GTS_PID=$!
  for _ in $(seq 1 120); do curl -sf -A bench "$GB/api/v1/instance" >/dev/null && return; sleep 0.5; done
  echo "GoToSocial did not start:" >&2; tail -n 30 "$G/log" >&2; exit 1
}
gts_stop() { kill "$GTS_PID"; wait "$GTS_PID" 2>/dev/null || true; GTS_PID=; }
gts_start
# One account made the way GoToSocial makes them, a token from its OAuth flow and one post
# from its API: the seed copies these rows.
"$GTS" --config-path "$G/config.yaml" admin account create --username template --email template@example.org --password 'Wachtw00rd!Lang' >> "$G/log" 2>&1
"$GTS" --config-path "$G/config.yaml" admin account confirm --username template >> "$G/log" 2>&1
redirect=urn:ietf:wg:oauth:2.0:oob
app=$(curl -sf -A bench -d client_name=bench -d redirect_uris=$redirect -d 'scopes=read write follow' "$GB/api/v1/apps")
client_id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["client_id"])' <<<"$app")
secret=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])' <<<"$app")
jar="$G/cookies"
curl -sf -A bench -c "$jar" -b "$jar" -o /dev/null "$GB/oauth/authorize?client_id=$client_id&redirect_uri=$redirect&response_type=code&scope=read+write+follow"
curl -s -A bench -c "$jar" -b "$jar" -o /dev/null -d username=template@example.org --data-urlencode 'password=Wachtw00rd!Lang' "$GB/auth/sign_in"
curl -sf -A bench -c "$jar" -b "$jar" -o /dev/null "$GB/oauth/authorize"
location=$(curl -s -A bench -c "$jar" -b "$jar" -o /dev/null -w '%{redirect_url}' -X POST "$GB/oauth/authorize")
token=$(curl -sf -A bench -d client_id="$client_id" -d client_secret="$secret" -d redirect_uri=$redirect -d grant_type=authorization_code -d code="${location##*code=}" "$GB/oauth/token" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
curl -sf -A bench -H "Authorization: Bearer $token" -X PATCH -d locked=false "$GB/api/v1/accounts/update_credentials" >/dev/null
curl -sf -A bench -H "Authorization: Bearer $token" -d 'status=Template post' -d visibility=public "$GB/api/v1/statuses" >/dev/null
gts_stop
echo "seeding GoToSocial..."
start=$(date +%s)
python3 benches/gotosocial-seed.py "$G/gts.db" template "localhost:$GTS_PORT" "$PEOPLE" "$NGROUPS" "$POSTS" "$G/tokens"
echo "seeded in $(( $(date +%s) - start ))s"
gts_start
measure gts "$GB" "$G/tokens" "$GTS_PID"
gts_stop

ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / b:.2f}' if b else '-')" "$1" "$2"; }
echo
echo "=== Gilde : GoToSocial ($POSTS posts, $PEOPLE people, $NGROUPS groups; wrk $DURATION)"
printf '| %-38s | %10s | %10s | %8s |\n' "" Gilde GoToSocial ratio
printf '| %-38s | %10s | %10s | %8s |\n' "idle memory, MB (lower is better)" "${R[gilde.rss]}" "${R[gts.rss]}" "$(ratio "${R[gilde.rss]}" "${R[gts.rss]}")"
printf '| %-38s | %10s | %10s | %8s |\n' "home, 1 connection, p50 ms (lower)" "${R[gilde.p50_1]}" "${R[gts.p50_1]}" "$(ratio "${R[gilde.p50_1]}" "${R[gts.p50_1]}")"
printf '| %-38s | %10s | %10s | %8s |\n' "home, 1 connection, requests/s" "${R[gilde.rps_1]}" "${R[gts.rps_1]}" "$(ratio "${R[gilde.rps_1]}" "${R[gts.rps_1]}")"
printf '| %-38s | %10s | %10s | %8s |\n' "home, $CONNECTIONS connections, requests/s" "${R[gilde.rps_n]}" "${R[gts.rps_n]}" "$(ratio "${R[gilde.rps_n]}" "${R[gts.rps_n]}")"
printf '| %-38s | %10s | %10s | %8s |\n' "home, $CONNECTIONS connections, p99 ms (lower)" "${R[gilde.p99_n]}" "${R[gts.p99_n]}" "$(ratio "${R[gilde.p99_n]}" "${R[gts.p99_n]}")"
printf '| %-38s | %10s | %10s | %8s |\n' "posting, $POST_CONNECTIONS connections, posts/s" "${R[gilde.post]}" "${R[gts.post]}" "$(ratio "${R[gilde.post]}" "${R[gts.post]}")"
