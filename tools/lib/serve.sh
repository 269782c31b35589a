# Shared by the tools that run `walkaround serve` on loopback (schemathesis, benchmarks, eval-pairs).
# Source it, then: serve_start BIN DATA_DIR LOG [ENV=VALUE …]  → sets SERVE_PORT, SERVE_METRICS_PORT,
# SERVE_PID and waits until the metrics port's /ready answers (exits 1 with the log if it never does);
# serve_stop stops it by PID. free_port prints a free loopback port.

# serve_binary CONFIG prints .build/CONFIG/walkaround, or says how to build it and fails.
serve_binary() {
  local bin=.build/$1/walkaround
  [ -x "$bin" ] || { echo "build it first: swift build -c $1 --product walkaround" >&2; return 1; }
  echo "$bin"
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

SERVE_PID=
serve_start() {
  local bin=$1 data=$2 log=$3
  shift 3
  SERVE_PORT=$(free_port)
  SERVE_METRICS_PORT=$(free_port)
  env "$@" "$bin" serve --host 127.0.0.1 --port "$SERVE_PORT" --metrics-port "$SERVE_METRICS_PORT" --data-dir "$data" >"$log" 2>&1 &
  SERVE_PID=$!
  for _ in $(seq 1 600); do curl -sf "127.0.0.1:$SERVE_METRICS_PORT/ready" >/dev/null && return 0; sleep 0.1; done
  cat "$log" >&2
  return 1
}

serve_stop() {
  if [ -n "$SERVE_PID" ]; then kill "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; SERVE_PID=; fi
}
