#!/usr/bin/env bash
# Serves an ONNX detection model with MLServer (pinned, in a cached venv) on loopback, for the
# conformance test of Walkaround's protocol client: tools/oip/mlserver/run.sh PORT NAME MODEL.onnx
# The HTTP port is PORT; gRPC and metrics get free ports; stops on SIGTERM (MLServer itself
# ignores SIGTERM: it gets SIGINT, then SIGKILL after 10 s).
set -euo pipefail
# A parent whose spawning thread blocks signals (a Swift test process: Foundation's Process keeps
# the thread's signal mask) would leave this shell deaf to SIGTERM, and MLServer running after
# the parent gave up: start again with no signal blocked.
if [ -z "${WALKAROUND_SIGNALS_UNBLOCKED:-}" ]; then
  export WALKAROUND_SIGNALS_UNBLOCKED=1
  exec python3 -c 'import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])' "$0" "$@"
fi
here=$(cd "$(dirname "$0")" && pwd)
port=$1 name=$2 model=$(realpath "$3")
version=1.7.1
venv=${WALKAROUND_CACHE:-$HOME/.cache/walkaround}/mlserver-$version
if [ ! -x "$venv/bin/mlserver" ] || ! "$venv/bin/python" -c 'import mlserver, onnxruntime' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "mlserver==$version" "onnxruntime==1.31.1"
fi
dir=$(mktemp -d /tmp/walkaround-mlserver.XXXXXX)
trap 'rm -rf "$dir"' EXIT
free() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cp "$here/model.py" "$dir/"
cat >"$dir/settings.json" <<JSON
{"host": "127.0.0.1", "http_port": $port, "grpc_port": $(free), "metrics_port": $(free), "parallel_workers": 0, "debug": false}
JSON
cat >"$dir/model-settings.json" <<JSON
{"name": "$name", "implementation": "model.OnnxDetector", "platform": "onnxruntime_onnx", "parameters": {"uri": "$model"}}
JSON
cd "$dir"
"$venv/bin/mlserver" start . &
server=$!
stop() {
  kill -INT "$server" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$server" 2>/dev/null || true
  rm -rf "$dir"
}
trap stop EXIT
trap 'exit 0' TERM INT
wait $server
