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
. tools/lib/serve.sh
bin=$(serve_binary "$config")
venv=${XDG_CACHE_HOME:-$HOME/.cache}/walkaround/eval-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import numpy, PIL' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q numpy==2.2.6 pillow==12.1.1
fi
work=$(mktemp -d /tmp/walkaround-pairs.XXXXXX)
trap 'serve_stop; rm -rf "$work"' EXIT
"$venv/bin/python" tools/eval-pairs/render_pairs.py "$work/pairs" "$pairs"
for rule in merged before; do
  across=true
  [ "$rule" = before ] && across=false
  key=$("$bin" keys create --role station --station EVAL-1 --name eval --data-dir "$work/data-$rule" 2>/dev/null)
  serve_start "$bin" "$work/data-$rule" "$work/server-$rule.log" WALKAROUND_MODEL_PATH=models/walkaround-demo.onnx \
    ORT_LIBRARY_PATH=.ort/lib/libonnxruntime.so WALKAROUND_PLATES_ENABLED=false WALKAROUND_COMPARISON_MERGE_ACROSS_CLASSES=$across LOG_LEVEL=warning
  python3 tools/eval-pairs/evaluate.py "http://127.0.0.1:$SERVE_PORT" "$key" "$work/pairs" "$rule"
  serve_stop
done
