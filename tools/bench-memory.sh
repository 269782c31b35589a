#!/usr/bin/env bash
# Peak resident memory of an API pod (`walkaround serve --role api`) under 16 parallel thumbnail
# requests of a 7000 × 7000 PNG, then (a fresh process) under 16 parallel 25 MiB uploads.
#   tools/bench-memory.sh [release|debug]     (default release; builds nothing itself)
# Prints idle RSS, peak RSS (VmHWM) and the answers' status codes for each phase. Compare with
# the api container's memory limit in deploy/kubernetes/base/api.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-release}
bin=.build/$config/walkaround
[ -x "$bin" ] || { echo "build it first: swift build -c $config --product walkaround" >&2; exit 1; }
work=$(mktemp -d /tmp/walkaround-mem.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

python3 - "$work" <<'PY'
import os, struct, sys, zlib
work = sys.argv[1]
def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
w = h = 7000
row = b"\x00" + bytes((x * 7) % 256 for x in range(w * 3))   # a gradient: RGB, filter none
raw = zlib.compressobj(9)
data = b"".join(raw.compress(row) for _ in range(h)) + raw.flush()
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
open(os.path.join(work, "big.png"), "wb").write(png)
# 25 MiB minus a little: a JPEG signature and noise (accepted by the upload, rejected by processing).
open(os.path.join(work, "upload.jpg"), "wb").write(b"\xff\xd8\xff\xe0" + os.urandom(25 * 1024 * 1024 - 4096))
print(f"7000x7000 PNG: {len(png)} bytes", file=sys.stderr)
PY

phase() {  # $1 name, $2 function that fires the requests, then VAR=value settings for the server
  local data=$work/data-$1 port metrics
  port=$(free_port); metrics=$(free_port)
  key=$("$bin" keys create --role admin --data-dir "$data" 2>/dev/null)
  env "${@:3}" WALKAROUND_MODEL_PATH="" WALKAROUND_PLATES_ENABLED=false LOG_LEVEL=error \
    "$bin" serve --role api --host 127.0.0.1 --port "$port" --metrics-port "$metrics" --data-dir "$data" >"$work/$1.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -sf "127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  local idle; idle=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
  local base="http://127.0.0.1:$port/v1"
  local id; id=$(curl -s -X POST "$base/inspections" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -d '{"kind": "checkout", "station": "MUC-01", "vehicle": {"plate": "M-AB 1"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  "$2" "$base" "$key" "$id" >"$work/$1.codes"
  local peak; peak=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
  echo "$1: idle RSS $((idle / 1024)) MiB, peak RSS $((peak / 1024)) MiB, answers: $(sort "$work/$1.codes" | uniq -c | tr -s ' ' | tr '\n' ' ')"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

thumbnails() {
  local photo; photo=$(curl -s -X POST "$1/inspections/$3/photos?view=front" -H "Authorization: Bearer $2" \
    -H 'Content-Type: image/png' --data-binary @"$work/big.png" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  # The first request reads the file once so all 16 start together.
  curl -s -o /dev/null "$1/photos/$photo/image" -H "Authorization: Bearer $2"
  local pids=()
  for i in $(seq 1 16); do
    curl -s -o /dev/null -w '%{http_code}\n' "$1/photos/$photo/thumbnail.jpg?size=$((300 + i))" -H "Authorization: Bearer $2" &
    pids+=($!)
  done
  wait "${pids[@]}"  # the curls only: a bare wait would also wait for the server
}

uploads() {
  local pids=()
  for i in $(seq 1 16); do
    curl -s -o /dev/null -w '%{http_code}\n' -X POST "$1/inspections/$3/photos?view=front" -H "Authorization: Bearer $2" \
      -H 'Content-Type: image/jpeg' -H "Idempotency-Key: u$i" --data-binary @"$work/upload.jpg" &
    pids+=($!)
  done
  wait "${pids[@]}"
}

# As configured by default (image slots = cores, 2 s wait, then 503 busy), and with the limit
# lifted to 16 slots and a minute's wait, the worst case of 16 decodes at once.
phase thumbnails thumbnails
phase thumbnails-16-slots thumbnails WALKAROUND_IMAGES_CONCURRENCY=16 WALKAROUND_IMAGES_MAX_WAIT_MS=60000
phase uploads uploads
