#!/usr/bin/env bash
# Upload load run against a release build of `walkaround serve`, on loopback only.
#   tools/loadtest.sh sqlite [seconds] [connections]
#   tools/with-postgres.sh tools/loadtest.sh postgres [seconds] [connections]
# Prints wrk's throughput and latency percentiles for 3.2 MB JPEG uploads, then waits until every
# accepted photo has been through the pipeline (decode, quality gate) and reports the outcomes.
# Every upload is the same picture, so after the first the quality gate rejects them as
# near-duplicates: the work per photo is the same either way.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
seconds=${2:-20}
connections=${3:-8}

command -v wrk >/dev/null || apt-get install -y -qq wrk
command -v cjpeg >/dev/null || apt-get install -y -qq libjpeg-turbo-progs
[ -x .build/release/walkaround ] || swift build -c release --product walkaround
bin=$PWD/.build/release/walkaround

work=$(mktemp -d /tmp/walkaround-load.XXXXXX)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

python3 tools/make-photo.py "$work/photo.ppm" 3264 2448
cjpeg -quality 90 "$work/photo.ppm" > "$work/photo.jpg"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

export WALKAROUND_DATA_DIR="$work/data" WALKAROUND_INSPECTION_MAX_PHOTOS=1000000 LOG_LEVEL=warning
if [ "$backend" = postgres ]; then
  export DATABASE_URL=${WALKAROUND_TEST_POSTGRES_URL:?run under tools/with-postgres.sh}
fi
KEY=$("$bin" keys create --role station --station LOAD-01 2>/dev/null)
"$bin" serve --host 127.0.0.1 --port "$port" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "localhost:$port/ready" >/dev/null && break; sleep 0.1; done

id=$(curl -sf -X POST "localhost:$port/v1/inspections" -H "Authorization: Bearer $KEY" \
  -H 'Content-Type: application/json' -d '{"kind": "checkout", "station": "LOAD-01", "vehicle": {"plate": "L-OAD 1"}}' \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')

echo "backend=$backend photo=$(stat -c %s "$work/photo.jpg") bytes connections=$connections seconds=$seconds"
PHOTO="$work/photo.jpg" KEY=$KEY UPLOAD_PATH="/v1/inspections/$id/photos?view=front" \
  wrk -t "$(( connections < 2 ? 1 : 2 ))" -c "$connections" -d "${seconds}s" --latency -s tools/upload.lua "http://127.0.0.1:$port" | tee "$work/wrk.txt"

for _ in $(seq 600); do
  counts=$(curl -sf "localhost:$port/v1/inspections/$id" -H "Authorization: Bearer $KEY" \
    | python3 -c 'import json, sys; c = json.load(sys.stdin)["photo_counts"]; print(sum(c.values()), sum(c.get(s, 0) for s in ("processed", "rejected", "failed")), json.dumps(c))')
  read -r total settled statuses <<<"$counts"
  [ "$total" = "$settled" ] && break
  sleep 0.5
done
echo "accepted=$total settled=$settled $statuses"
# Upload-to-processed percentiles, read off the histogram (the upper edge of the bucket each falls in).
curl -sf "localhost:$port/metrics" | python3 -c '
import re, sys
buckets = [(float(m.group(1)), float(m.group(2))) for m in
           re.finditer(r"^walkaround_photo_processing_seconds_bucket\{le=\"([^\"]+)\"\} (\S+)", sys.stdin.read(), re.M)]
total = buckets[-1][1]
def quantile(q):
    return next(le for le, n in buckets if n >= q * total)
print("upload to processed: p50 <= %gs, p90 <= %gs (of %d)" % (quantile(0.5), quantile(0.9), total))
'
