#!/usr/bin/env bash
# `make bench`: Walkaround against the Python services a team would write instead, in one run,
# interleaved, on loopback: builds the release binary, installs the pinned peer wheels
# (tools/bench/peer-requirements.txt) into .venv-peers, makes the photos, starts
#   walkaround      `walkaround serve` (SQLite, the default model, 2 inference threads): upload →
#                   findings stored, polled;
#   ort-opencv      FastAPI + uvicorn + ONNX Runtime + OpenCV full decode (tools/bench/peer_service.py);
#   openvino-pillow FastAPI + uvicorn + OpenVINO (bf16 hint) + Pillow's DCT-scaled draft decode;
# all with the same model file and 2 threads, runs tools/bench/compare.py (one at a time and four
# in flight, a 4000×3000 photo without a plate and one with a plate), and writes the table into
# docs/performance.md between the bench markers.
#   tools/bench/run.sh [MODEL]     (BENCH_ROUNDS, BENCH_SEQUENTIAL, BENCH_PARALLEL: per-round counts)
set -euo pipefail
cd "$(dirname "$0")/../.."
model=${1:-models/walkaround-demo-int8.onnx}
tools/setup.sh >/dev/null
swift build -c release --product walkaround >/dev/null
if ! .venv-peers/bin/python -c 'import fastapi, uvicorn, openvino, cv2, onnxruntime, PIL' 2>/dev/null; then
  python3 -m venv .venv-peers
  .venv-peers/bin/pip install -q -r tools/bench/peer-requirements.txt
fi
mkdir -p .build/bench
plain=.build/bench/photo-12mp.jpg
plated=.build/bench/photo-12mp-plate.jpg
[ -f "$plain" ] || .venv-peers/bin/python tools/bench/make_photo.py "$plain" 4000 3000 6
# A rendered car with a German plate (Tests/InferenceTests/Fixtures/plates/scenes), at 12 MP with sensor noise.
[ -f "$plated" ] || .venv-peers/bin/python - "$plated" <<'PY'
import sys
import numpy as np
from PIL import Image
image = Image.open("Tests/InferenceTests/Fixtures/plates/scenes/000-DE.jpg").convert("RGB").resize((4000, 3000), Image.LANCZOS)
pixels = np.asarray(image, np.float32) + np.random.default_rng(11).normal(0, 5, (3000, 4000, 1))
Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(sys.argv[1], quality=92)
PY

. tools/lib/serve.sh
work=$(mktemp -d /tmp/walkaround-bench.XXXXXX)
peers=()
cleanup() {
  serve_stop
  for pid in "${peers[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
key=$(.build/release/walkaround keys create --role station --station BENCH-01 --name bench --data-dir "$work/data" 2>/dev/null)
serve_start .build/release/walkaround "$work/data" "$work/serve.log" WALKAROUND_MODEL_PATH="$model" \
  ORT_LIBRARY_PATH=.ort/lib/libonnxruntime.so WALKAROUND_INFERENCE_THREADS=2 LOG_LEVEL=warning
specs=("walkaround=$SERVE_PID@http://127.0.0.1:$SERVE_PORT")
for flavour in ort-opencv openvino-pillow; do
  port=$(free_port)
  .venv-peers/bin/python tools/bench/peer_service.py "$flavour" "$model" 2 "$port" >"$work/$flavour.log" 2>&1 &
  peers+=($!)
  for _ in $(seq 1 300); do curl -sf "127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
  curl -sf "127.0.0.1:$port/ready" >/dev/null || { cat "$work/$flavour.log" >&2; exit 1; }
  specs+=("$flavour=$!@http://127.0.0.1:$port")
done
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
echo "# $(nproc) cores, $cpu; model $model; photos $(stat -c %s "$plain") and $(stat -c %s "$plated") bytes"
echo "| photo | service | in flight | median ms | p90 ms | photos/s | CPU ms/photo | peak MB/photo in flight | detections |"
echo "|---|---|---|---|---|---|---|---|---|"
.venv-peers/bin/python tools/bench/compare.py "$work/bench.json" "$key" "$plain" "$plated" -- "${specs[@]}" | tee "$work/table.md"
# Where Walkaround's time goes, from its own metrics over the whole run (all photos, both concurrencies).
curl -s "127.0.0.1:$SERVE_METRICS_PORT/metrics" | python3 -c '
import re, sys
sums, counts = {}, {}
for line in sys.stdin:
    m = re.match(r"(walkaround_photo_stage_seconds|inference_duration_seconds|http_request_duration_seconds)_(sum|count)\{(.*)\} (\S+)", line)
    if not m or (m.group(1) == "http_request_duration_seconds" and "/photos" not in m.group(3)):
        continue
    label = m.group(1).replace("walkaround_photo_stage_seconds", "stage").replace("_duration_seconds", "") + " " + m.group(3)
    (sums if m.group(2) == "sum" else counts)[label] = float(m.group(4))
print()
print("| Walkaround stage (metrics, whole run) | mean ms | count |")
print("|---|---|---|")
for label in sorted(sums):
    if counts.get(label):
        print(f"| {label} | {sums[label] * 1000 / counts[label]:.1f} | {int(counts[label])} |")
' | tee -a "$work/table.md"
python3 - docs/performance.md "$work/table.md" "$(date -u +%F)" "$(nproc) cores, $cpu" "$model" <<'PY'
import sys
path, table, day, machine, model = sys.argv[1:6]
text = open(path).read()
begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
rows = open(table).read()
block = (f"{begin}\n`make bench` on {day}: {machine}; model `{model}`, 2 threads everywhere.\n\n"
         "| photo | service | in flight | median ms | p90 ms | photos/s | CPU ms/photo | peak MB/photo in flight | detections |\n"
         "|---|---|---|---|---|---|---|---|---|\n" + rows + end)
if begin in text:
    text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
else:
    text += "\n## Walkaround against the Python services (`make bench`)\n\n" + block + "\n"
open(path, "w").write(text)
PY
