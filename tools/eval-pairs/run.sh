#!/usr/bin/env bash
# The merge rule measured on real model output: renders PAIRS check-out/return pairs with known
# added damages (render_pairs.py, pinned numpy and Pillow in a cached venv), sends each pair
# through `walkaround serve` with the demo model (SQLite, no LLM), and counts the return reports'
# `new` damages against the truth, once with the merge rule (one damage per spot, default) and
# once with the rule before it (`WALKAROUND_COMPARISON_MERGE_ACROSS_CLASSES=false`).
#   tools/eval-pairs/run.sh [release|debug] [PAIRS]     (defaults: release, 20; builds nothing)
set -euo pipefail
cd "$(dirname "$0")/../.."
config=${1:-release}
pairs=${2:-20}
bin=.build/$config/walkaround
[ -x "$bin" ] || { echo "build it first: swift build -c $config --product walkaround" >&2; exit 1; }
venv=${XDG_CACHE_HOME:-$HOME/.cache}/walkaround/eval-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import numpy, PIL' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q numpy==2.2.6 pillow==12.1.1
fi
work=$(mktemp -d /tmp/walkaround-pairs.XXXXXX)
pid=
stop_server() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; fi; }
trap 'stop_server; rm -rf "$work"' EXIT
"$venv/bin/python" tools/eval-pairs/render_pairs.py "$work/pairs" "$pairs"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

for rule in merged before; do
  across=true
  [ "$rule" = before ] && across=false
  data="$work/data-$rule"
  port=$(free_port)
  metrics=$(free_port)
  key=$("$bin" keys create --role station --station EVAL-1 --name eval --data-dir "$data" 2>/dev/null)
  WALKAROUND_MODEL_PATH=models/walkaround-demo.onnx ORT_LIBRARY_PATH=.ort/lib/libonnxruntime.so WALKAROUND_PLATES_ENABLED=false \
    WALKAROUND_COMPARISON_MERGE_ACROSS_CLASSES=$across LOG_LEVEL=warning \
    "$bin" serve --host 127.0.0.1 --port "$port" --metrics-port "$metrics" --data-dir "$data" >"$work/server-$rule.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do curl -sf "127.0.0.1:$metrics/ready" >/dev/null && break; sleep 0.1; done
  curl -sf "127.0.0.1:$metrics/ready" >/dev/null || { cat "$work/server-$rule.log"; exit 1; }
  python3 tools/eval-pairs/evaluate.py "http://127.0.0.1:$port" "$key" "$work/pairs" "$rule"
  stop_server
done
