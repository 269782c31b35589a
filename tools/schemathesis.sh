#!/usr/bin/env bash
# Fuzzes the running API against docs/openapi.yaml with schemathesis (pinned), an admin key, and
# every phase (examples, coverage, fuzzing, stateful): the run fails on any 5xx, any response
# that does not match the document (status, content type, headers, body schema), and any
# request the document calls invalid that the server accepts.
#   tools/schemathesis.sh [debug|release] [max-examples]    (defaults: debug, 25)
# Starts `walkaround serve` on SQLite in a temporary folder (no model, no LLM: this is about the
# HTTP contract), on a free loopback port; stops it by PID when done.
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-debug}
examples=${2:-25}
bin=.build/$config/walkaround
[ -x "$bin" ] || { echo "build it first: swift build -c $config --product walkaround" >&2; exit 1; }

version=4.32.5
venv=${XDG_CACHE_HOME:-$HOME/.cache}/walkaround/schemathesis-$version
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$version"
fi

work=$(mktemp -d /tmp/walkaround-st.XXXXXX)
pid=
stop() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap stop EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
metrics=$(free_port)

key=$("$bin" keys create --role admin --name schemathesis --data-dir "$work/data" 2>/dev/null)
WALKAROUND_MODEL_PATH="" WALKAROUND_PLATES_ENABLED=false LOG_LEVEL=warning \
  "$bin" serve --host 127.0.0.1 --port "$port" --metrics-port "$metrics" --data-dir "$work/data" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do curl -sf "127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
curl -sf "127.0.0.1:$port/ready" >/dev/null || { cat "$work/server.log"; exit 1; }

status=0
run() {
  "$venv/bin/schemathesis" run docs/openapi.yaml --url "http://127.0.0.1:$port" \
    -H "Authorization: Bearer $key" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection \
    --max-examples "$examples" --seed 20261202 --workers 2 --request-timeout 30 \
    --generation-database none --generation-with-security-parameters false --no-color --output-truncate true "$@" || status=$?
}
# Everything but key revocation: the stateful phase follows GET /v1/keys to the run's own key
# and would revoke it, leaving every later request a 401.
run --phases examples,coverage,fuzzing,stateful --exclude-operation-id revokeKey
# Then revocation alone (no links to follow).
run --phases examples,coverage,fuzzing --include-operation-id revokeKey
if ! kill -0 "$pid" 2>/dev/null; then
  echo "the server died during the run:" >&2
  tail -50 "$work/server.log" >&2
  exit 1
fi
if grep -q '"level":"error"\|"level":"critical"' "$work/server.log"; then
  echo "server errors during the run:" >&2
  grep '"level":"error"\|"level":"critical"' "$work/server.log" | head -20 >&2
fi
exit "$status"
