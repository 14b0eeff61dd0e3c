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
DURATION="${DURATION:-30s}" CONNECTIONS="${CONNECTIONS:-32}" THREADS="${THREADS:-2}"
# shellcheck source=benches/common.sh
source benches/common.sh

rotating_get_lua "$WORK/home.lua" "$WORK/tokens" "/api/v1/timelines/home?limit=20" bearer
# One request first: check the answer is a full page of statuses.
curl -sf -H "Authorization: Bearer $(head -n1 "$WORK/tokens")" "http://127.0.0.1:$PORT/api/v1/timelines/home?limit=20" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d)==20, len(d); print("first page:", len(d), "statuses")'
echo "== one connection (latency of a single reader)"
wrk -t1 -c1 -d"$DURATION" --latency -s "$WORK/home.lua" "http://127.0.0.1:$PORT/" | tail -n1
echo "== $CONNECTIONS connections (throughput)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/home.lua" "http://127.0.0.1:$PORT/" | tail -n1
