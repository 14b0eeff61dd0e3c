#!/usr/bin/env bash
# The web UI's stream pages at scale: seeds N posts (default 1,000,000), starts a release
# build, and measures
#   - server time of the home stream page (`/`) and a group's page (`/g/1`), as the server
#     reports it in `Server-Timing` (handler time, no network), over 400 requests each from
#     200 different people's sessions: p50 / p90 / p99;
#   - server time of searches: a word in every post, a rare one and one in none;
#   - wrk with one connection on `/` (latency as a browser on the same machine sees it);
#   - the weight of the main pages, their stylesheet and script (bytes, without images).
#
#   benches/web-stream.sh                          # SQLite in a temporary folder
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/gilde_bench benches/web-stream.sh
#
# Settings: POSTS (1000000), PEOPLE (10000), NGROUPS (500), DURATION (20s), PORT (18080).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-20s}"
# shellcheck source=benches/common.sh
source benches/common.sh
BASE="http://127.0.0.1:$PORT"

page() { curl -s -o "$WORK/page.html" -D "$WORK/headers" -w '%{http_code} %{size_download}\n' -H "Cookie: gilde_session=$1" "$BASE$2"; }

# One page first: a full stream of 20 posts.
token="$(head -n1 "$WORK/tokens")"
read -r status size < <(page "$token" /)
posts=$(grep -c '<article class="post"' "$WORK/page.html" || true)
echo "home: HTTP $status, $posts posts, $size bytes"
[ "$status" = 200 ] && [ "$posts" = 20 ] || { echo "expected a full home page" >&2; exit 1; }
# A group of the first person (the first in the home page's group list), for the group page.
group="$(grep -o '<option value="[0-9]*"' "$WORK/page.html" | head -n1 | grep -o '[0-9]*')"
read -r status size < <(page "$token" "/g/$group")
echo "group $group: HTTP $status, $(grep -c '<article class="post"' "$WORK/page.html" || true) posts, $size bytes"

timings() {  # path: prints p50 / p90 / p99 of the server's own time over 400 requests
  : > "$WORK/times"
  for round in 1 2; do
    while read -r t; do
      page "$t" "$1" >/dev/null
      grep -i '^server-timing:' "$WORK/headers" | sed 's/.*dur=\([0-9.]*\).*/\1/' >> "$WORK/times"
    done < "$WORK/tokens"
  done
  python3 - "$WORK/times" "$1" <<'PY'
import sys
xs = sorted(float(x) for x in open(sys.argv[1]) if x.strip())
pick = lambda p: xs[min(len(xs) - 1, int(len(xs) * p))]
print(f"{sys.argv[2]}: server time over {len(xs)} requests: p50 {pick(0.5):.2f} ms, p90 {pick(0.9):.2f} ms, p99 {pick(0.99):.2f} ms, max {xs[-1]:.2f} ms")
PY
}
timings /
# Group pages are read by the group's members: each session reads its own first group.
: > "$WORK/groups"
while read -r t; do
  page "$t" / >/dev/null
  grep -o '<option value="[0-9]*"' "$WORK/page.html" | head -n1 | grep -o '[0-9]*' >> "$WORK/groups"
done < "$WORK/tokens"
group_timings() {
  : > "$WORK/times"
  for round in 1 2; do
    paste -d' ' "$WORK/tokens" "$WORK/groups" | while read -r t g; do
      page "$t" "/g/$g" >/dev/null
      grep -i '^server-timing:' "$WORK/headers" | sed 's/.*dur=\([0-9.]*\).*/\1/' >> "$WORK/times"
    done
  done
  python3 - "$WORK/times" "/g/ID (each person's own group)" <<'PY'
import sys
xs = sorted(float(x) for x in open(sys.argv[1]) if x.strip())
pick = lambda p: xs[min(len(xs) - 1, int(len(xs) * p))]
print(f"{sys.argv[2]}: server time over {len(xs)} requests: p50 {pick(0.5):.2f} ms, p90 {pick(0.9):.2f} ms, p99 {pick(0.99):.2f} ms, max {xs[-1]:.2f} ms")
PY
}
group_timings
# Search (the full-text index): a word in every post, a rare one, and one in none.
for q in kennisdeling "post+999999" zeldzaam; do timings "/search?q=$q"; done

rotating_get_lua "$WORK/web.lua" "$WORK/tokens" / session
echo "== wrk, one connection, GET / ($DURATION)"
wrk -t1 -c1 -d"$DURATION" --latency -s "$WORK/web.lua" "$BASE/" | tail -n1

echo "== page weight (bytes, without images)"
for path in / "/g/$group" /groups /people "/search?q=seed" /notifications /static/gilde.css /static/gilde.js; do
  read -r status size < <(page "$token" "$path")
  echo "$path: HTTP $status, $size bytes"
done
