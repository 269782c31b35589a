#!/usr/bin/env bash
# `make load`: the fleet load test. Walkaround deployed as the cluster runs it, on this machine:
# two api processes, two workers, one inference process (Open Inference Protocol), PostgreSQL
# (fsync on), Redis and SeaweedFS (S3), every process on loopback with its own data folder, so
# they share only the database, Redis and the bucket. Locust (pinned, tools/load/stations.py)
# plays rental stations at their pace: a car's eight 12 MP photos about 15 s apart, the
# verdicts read from the inspection's event stream, a pause of about a minute, the next car.
#
# Steps of rising photo rate, each STEP_SECONDS of uploads followed by a drain; for each step:
# the photo rate reached, upload and upload→findings percentiles (as the station sees them, and
# from the database's created_at/processed_at), every accepted photo checked in the database
# (lost, failed, unsettled), and each tier's CPU seconds per photo. Stops after the first step
# that breaks the promise (p90 ≥ 500 ms or anything lost). Writes the table and the cluster
# sizing it implies to docs/deploy.md between the load markers (tools/load/report.py).
#   tools/load/run.sh [STEP_SECONDS] [PHOTOS_PER_SECOND ...]     (default: 180 s; 1 2 3 4 5 6 8)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${WALKAROUND_TEST_S3_ENDPOINT:-}" ] || [ -z "${WALKAROUND_TEST_REDIS_URL:-}" ]; then
  exec tools/with-s3.sh tools/with-redis.sh "$0" "$@"
fi
seconds=${1:-180}
shift || true
rates=("$@")
[ ${#rates[@]} -gt 0 ] || rates=(1 2 3 4 5 6 8)
interval=${WL_INTERVAL_S:-15}
pause=${WL_PAUSE_S:-60}

tools/setup.sh >/dev/null
[ -x .build/release/walkaround ] || swift build -c release --product walkaround
bin=$PWD/.build/release/walkaround
version=2.47.0
venv=${WALKAROUND_CACHE:-$HOME/.cache/walkaround}/locust-$version
if ! "$venv/bin/python" -c 'import locust, numpy, PIL' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "locust==$version" "numpy==2.2.6" "pillow==12.1.1"
fi
photos=.build/load/photos
[ -f "$photos/front_right.jpg" ] || "$venv/bin/python" tools/load/make_photos.py "$photos"

. tools/lib/serve.sh
work=$(mktemp -d /tmp/walkaround-load.XXXXXX)
pg=$(mktemp -d /tmp/walkaround-load-pg.XXXXXX)   # its own folder: PostgreSQL runs as postgres
declare -A pid port mport
cleanup() {
  for name in "${!pid[@]}"; do kill "${pid[$name]}" 2>/dev/null || true; done
  for name in "${!pid[@]}"; do wait "${pid[$name]}" 2>/dev/null || true; done
  tools/pg-instance.sh stop "$pg"
  # The logs and the raw results stay for whoever reads the run.
  rm -rf .build/load/last && mkdir -p .build/load/last && cp "$work"/*.log "$work"/*.jsonl .build/load/last/ 2>/dev/null || true
  rm -rf "$work" "$pg"
}
trap cleanup EXIT

database=$(PG_DURABLE=1 tools/pg-instance.sh start "$pg")
common=(
  DATABASE_URL="$database" LOG_LEVEL=warning ORT_LIBRARY_PATH="$PWD/.ort/lib/libonnxruntime.so"
  WALKAROUND_S3_ENDPOINT="$WALKAROUND_TEST_S3_ENDPOINT" WALKAROUND_S3_BUCKET="$WALKAROUND_TEST_S3_BUCKET"
  WALKAROUND_S3_REGION=eu-central-1 WALKAROUND_S3_ACCESS_KEY_ID="$WALKAROUND_TEST_S3_ACCESS_KEY_ID"
  WALKAROUND_S3_SECRET_ACCESS_KEY="$WALKAROUND_TEST_S3_SECRET_ACCESS_KEY" WALKAROUND_REDIS_URL="$WALKAROUND_TEST_REDIS_URL"
  # As deploy/kubernetes/base sets them.
  WALKAROUND_WORKER_CONCURRENCY=4 WALKAROUND_INFERENCE_THREADS=2
)
# start NAME ROLE [ENV=VALUE …]: one process of the deployment, waits until its /ready answers.
start() {
  local name=$1 role=$2 metrics
  shift 2
  port[$name]=$(free_port)
  metrics=$(free_port)
  mport[$name]=$metrics
  mkdir -p "$work/$name"
  env "${common[@]}" "$@" "$bin" serve --role "$role" --host 127.0.0.1 --port "${port[$name]}" --metrics-port "$metrics" \
    --data-dir "$work/$name" >"$work/$name.log" 2>&1 &
  pid[$name]=$!
  for _ in $(seq 1 600); do curl -sf "127.0.0.1:$metrics/ready" >/dev/null && return 0; sleep 0.1; done
  cat "$work/$name.log" >&2
  exit 1
}
start inference inference
start api1 api    # migrates the database and makes the report signing key the others use
signing=WALKAROUND_SIGNING_KEY_FILE=$work/api1/report-signing-key.pem
start api2 api "$signing"
for worker in worker1 worker2; do
  start "$worker" worker "$signing" WALKAROUND_INFERENCE_URL="http://127.0.0.1:${port[inference]}"
done

# One station key per emulated station, enough for the largest step.
largest=$(printf '%s\n' "${rates[@]}" | sort -g | tail -1)
stations=$(python3 -c "import math; print(math.ceil($largest * (7 * $interval + $pause + 2) / 8))")
for n in $(seq -f '%04g' 1 "$stations"); do
  echo "LOAD-$n $(env DATABASE_URL="$database" "$bin" keys create --role station --station "LOAD-$n" --name load 2>/dev/null)"
done >"$work/keys"

cpu_snapshot() {
  local roots=() name
  for name in "${!pid[@]}"; do roots+=("$name=${pid[$name]}"); done
  roots+=("postgres=$(head -1 "$pg/data/postmaster.pid")" "redis=$(cat "$WALKAROUND_TEST_REDIS_PIDFILE")"
          "s3=$(cat "$WALKAROUND_TEST_S3_PIDFILE")")
  python3 tools/load/cpu.py "${roots[@]}"
}

results=$work/results.jsonl
: >"$results"
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
echo "# $(nproc) cores, $cpu; steps of ${seconds}s; a photo every ${interval}s, a ${pause}s pause between cars"
for rate in "${rates[@]}"; do
  users=$(python3 -c "import math; print(max(1, math.ceil($rate * (7 * $interval + $pause + 2) / 8)))")
  log=$work/step-$rate.jsonl
  until=$(python3 -c "import time; print(time.time() + $seconds)")
  WL_HOSTS="http://127.0.0.1:${port[api1]},http://127.0.0.1:${port[api2]}" WL_KEYS="$work/keys" WL_PHOTOS="$photos" \
    WL_LOG="$log" WL_UPLOAD_UNTIL="$until" WL_INTERVAL_S="$interval" WL_PAUSE_S="$pause" \
    python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[2:])
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write(str(usage.ru_utime + usage.ru_stime))' "$work/locust-cpu" \
    "$venv/bin/locust" -f tools/load/stations.py --headless --only-summary -u "$users" -r "$users" \
    --run-time "$((seconds + 90))s" --stop-timeout 60 >"$work/locust-$rate.log" 2>&1 &
  locust=$!
  before=$(cpu_snapshot)
  wait "$locust" || true
  # Drain: every job done (photos and the reports of completed cars; or 120 s), then the CPU the step cost.
  for _ in $(seq 1 120); do
    pending=$(psql "$database" -Atc "SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')")
    [ "$pending" = 0 ] && break
    sleep 1
  done
  after=$(cpu_snapshot)
  python3 - "$log" "$database" "$rate" "$users" "$seconds" "$before" "$after" "$(cat "$work/locust-cpu")" >>"$results" <<'PY'
import json, subprocess, sys
log, database, rate, users, seconds, before, after, client = sys.argv[1:]
records = [json.loads(line) for line in open(log)]
accepted = [r for r in records if r.get("photo")]
ids = ",".join(f"'{r['photo']}'" for r in accepted) or "NULL"
# The statement on stdin: thousands of ids are more than one argument may hold.
rows = subprocess.run(["psql", database, "-AtF", " "],
                      input="SELECT id, status, EXTRACT(EPOCH FROM processed_at - created_at) FROM photos WHERE id IN (%s);" % ids,
                      capture_output=True, text=True, check=True).stdout.split("\n")
stored = {row.split(" ")[0]: row.split(" ")[1:] for row in rows if row}
before, after = json.loads(before), json.loads(after)
print(json.dumps({
    "target": float(rate), "stations": int(users), "seconds": float(seconds), "records": records,
    "stored": stored, "client_cpu": float(client),
    "cpu": {name: (after.get(name) or 0) - (before.get(name) or 0) for name in before},
}))
PY
  python3 tools/load/report.py summary "$results" | tail -1
  python3 tools/load/report.py passed "$results" || break
done
# Where a photo's time goes, from the processes' own metrics over the whole run (means).
for name in api1 api2 worker1 worker2 inference; do curl -s "127.0.0.1:${mport[$name]}/metrics"; done | python3 -c '
import re, sys
sums, counts = {}, {}
for line in sys.stdin:
    m = re.match(r"(walkaround_photo_stage_seconds|walkaround_remote_inference_seconds|inference_duration_seconds|walkaround_photo_processing_seconds|walkaround_plate_read_seconds|http_request_duration_seconds)_(sum|count)(\{.*\})? (\S+)", line)
    if not m or (m.group(1) == "http_request_duration_seconds" and "photos" not in (m.group(3) or "")):
        continue
    label = m.group(1) + (m.group(3) or "")
    target = sums if m.group(2) == "sum" else counts
    target[label] = target.get(label, 0) + float(m.group(4))
print("| metric (all processes, whole run) | mean ms | count |")
print("|---|---|---|")
for label in sorted(sums):
    if counts.get(label):
        print(f"| {label} | {sums[label] * 1000 / counts[label]:.1f} | {int(counts[label])} |")
' | tee "$work/stages.md"
python3 tools/load/report.py table "$results" "$(nproc) cores, $cpu" "$seconds" "$interval" "$pause" "$(nproc)" | tee "$work/table.md"
{ echo; echo "Where a photo's time goes (means over the whole run, from the processes' metrics):"; echo; cat "$work/stages.md"; } >>"$work/table.md"
python3 tools/load/report.py write docs/deploy.md "$work/table.md"
echo "wrote the table and the sizing into docs/deploy.md"
