#!/usr/bin/env bash
# Posting as an author with a long history: seeds the database (as home-timeline.sh does), gives
# one person HISTORY earlier posts (default 100,000), and loads POST /api/v1/statuses with wrk
# from that person's token, then from a person with a short history, for comparison.
#
#   benches/posting.sh                               # SQLite in a temporary folder
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/gilde_bench benches/posting.sh
#
# Settings: HISTORY (100000), POSTS (100000), PEOPLE (10000), NGROUPS (500), DURATION (20s),
# CONNECTIONS (16), THREADS (2), PORT (18080).
set -euo pipefail
cd "$(dirname "$0")/.."
HISTORY="${HISTORY:-100000}" POSTS="${POSTS:-100000}" DURATION="${DURATION:-20s}" CONNECTIONS="${CONNECTIONS:-16}" THREADS="${THREADS:-2}"
# Writes are limited per token (300 a minute by default): not in this benchmark.
export GILDE_WRITE_RATE_PER_MINUTE=1000000
# shellcheck source=benches/common.sh
source benches/common.sh

# The first token's person gets HISTORY posts of their own, written straight into the database.
author="$(head -n1 "$WORK/tokens")"
author_name="seed_$(( PEOPLE / 200 ))"
sql="INSERT INTO posts (author_id, visibility, source, content_html, created_at) SELECT (SELECT id FROM people WHERE username = '$author_name'), 'public', 'Eerder bericht', '<p>Eerder bericht</p>', CURRENT_TIMESTAMP FROM generate_series(1, $HISTORY);
UPDATE people SET posts_count = (SELECT COUNT(*) FROM posts WHERE author_id = people.id AND deleted_at IS NULL) WHERE username = '$author_name';"
if [ -n "${DATABASE_URL:-}" ]; then
  psql "$DATABASE_URL" -qc "$sql" -c "VACUUM ANALYZE posts"
else
  python3 - "$WORK/gilde.db" "$author_name" "$HISTORY" <<'PY'
import sqlite3, sys
db, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = sqlite3.connect(db)
(pid,) = c.execute("SELECT id FROM people WHERE username = ?", (name,)).fetchone()
c.executemany("INSERT INTO posts (author_id, visibility, source, content_html, created_at) VALUES (?, 'public', 'Eerder bericht', '<p>Eerder bericht</p>', CURRENT_TIMESTAMP)", ((pid,) for _ in range(n)))
c.execute("UPDATE people SET posts_count = (SELECT COUNT(*) FROM posts WHERE author_id = ? AND deleted_at IS NULL) WHERE id = ?", (pid, pid))
c.commit()
PY
fi
newcomer="$(sed -n 2p "$WORK/tokens")"

post_lua() {
  cat > "$WORK/post.lua" <<LUA
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/api/v1/statuses", { ["Authorization"] = "Bearer $1", ["Content-Type"] = "application/json" },
    '{"status": "Bericht ' .. n .. ' over kennisdeling"}')
end
$WRK_DONE
LUA
}
check=$(curl -sf -X POST -H "Authorization: Bearer $author" -H 'Content-Type: application/json' -d '{"status":"Eerste"}' "http://127.0.0.1:$PORT/api/v1/statuses" | python3 -c 'import json,sys; print(json.load(sys.stdin)["account"]["statuses_count"])')
echo "the author has $check posts"
echo "== author with $HISTORY earlier posts, $CONNECTIONS connections"
post_lua "$author"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$WORK/post.lua" "http://127.0.0.1:$PORT/" | tail -n1
echo "== author with few earlier posts, $CONNECTIONS connections"
post_lua "$newcomer"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$WORK/post.lua" "http://127.0.0.1:$PORT/" | tail -n1
