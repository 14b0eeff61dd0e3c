#!/usr/bin/env bash
# Attachments: uploading and processing a 12-megapixel photo (time per upload and the server's
# peak memory), then serving its preview under load.
#
#   benches/media.sh                         # SQLite in a temporary folder
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/gilde_bench benches/media.sh
#
# Settings: SIZE (4000x3000), UPLOADS (10), DURATION (20s), CONNECTIONS (32), THREADS (2), PORT (18080). The photo
# is made with ffmpeg (Debian's; federation-tests/peers/install-ffmpeg.sh): 4000x3000, a test
# pattern with grain, so it compresses like a photo (about 5 MB).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE="${SIZE:-4000x3000}" UPLOADS="${UPLOADS:-10}" DURATION="${DURATION:-20s}" CONNECTIONS="${CONNECTIONS:-32}" THREADS="${THREADS:-2}"
export POSTS="${POSTS:-1000}" PEOPLE="${PEOPLE:-200}" NGROUPS="${NGROUPS:-10}"
bash federation-tests/peers/install-ffmpeg.sh >/dev/null
# shellcheck source=benches/common.sh
source benches/common.sh

ffmpeg -loglevel error -f lavfi -i "testsrc2=size=$SIZE,noise=alls=25:allf=t" -frames:v 1 -q:v 3 "$WORK/photo.jpg"
echo "photo: $SIZE, $(stat -c %s "$WORK/photo.jpg") bytes"
TOKEN="$(head -n1 "$WORK/tokens")"
peak() { awk '/VmHWM/ {print $2}' "/proc/$SERVER/status"; }
echo "server peak memory before uploads: $(( $(peak) / 1024 )) MiB"

times=()
for _ in $(seq 1 "$UPLOADS"); do
  t=$(curl -sf -o "$WORK/media.json" -w '%{time_total}' -H "Authorization: Bearer $TOKEN" -F "file=@$WORK/photo.jpg" "http://127.0.0.1:$PORT/api/v2/media")
  times+=("$t")
done
python3 - "$WORK/media.json" "${times[@]}" <<'PY'
import json, statistics, sys
media = json.load(open(sys.argv[1]))
times = sorted(float(t) * 1000 for t in sys.argv[2:])
print(f"kept: {media['meta']['original']['size']}, preview {media['meta']['small']['size']}")
print(f"upload + processing of the photo: median {statistics.median(times):.0f} ms, min {times[0]:.0f} ms, max {times[-1]:.0f} ms over {len(times)} uploads")
PY
echo "server peak memory after uploads: $(( $(peak) / 1024 )) MiB"

# Post the last upload publicly, so its preview is served to anyone (cacheable).
MEDIA_ID="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/media.json")"
PREVIEW="$(curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d "{\"status\":\"Foto\",\"media_ids\":[\"$MEDIA_ID\"]}" "http://127.0.0.1:$PORT/api/v1/statuses" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["media_attachments"][0]["preview_url"])')"
curl -sf -o /dev/null "$PREVIEW"
cat > "$WORK/preview.lua" <<LUA
$WRK_DONE
LUA
echo "== preview ($PREVIEW), $CONNECTIONS connections"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/preview.lua" "$PREVIEW" | tail -n1
