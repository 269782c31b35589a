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
. tools/lib/serve.sh
bin=$(serve_binary "$config")

version=4.32.5
venv=${XDG_CACHE_HOME:-$HOME/.cache}/walkaround/schemathesis-$version
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$version"
fi

work=$(mktemp -d /tmp/walkaround-st.XXXXXX)
trap 'serve_stop; rm -rf "$work"' EXIT
key=$("$bin" keys create --role admin --name schemathesis --data-dir "$work/data" 2>/dev/null)
serve_start "$bin" "$work/data" "$work/server.log" WALKAROUND_MODEL_PATH= WALKAROUND_PLATES_ENABLED=false LOG_LEVEL=warning \
  WALKAROUND_RATE_LIMIT_KEY_PER_MINUTE=0 WALKAROUND_RATE_LIMIT_STATION_PER_MINUTE=0
port=$SERVE_PORT
pid=$SERVE_PID

status=0
run() {
  "$venv/bin/schemathesis" run docs/openapi.yaml --url "http://127.0.0.1:$port" \
    -H "Authorization: Bearer $key" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection \
    --max-examples "$examples" --seed 20261202 --workers 2 --request-timeout 30 \
    --generation-database none --generation-with-security-parameters false --no-color --output-truncate true "$@" || status=$?
}
# Everything but key revocation (the stateful phase follows GET /v1/keys to the run's own key and
# would revoke it, leaving every later request a 401) and the event stream (it stays open while an
# inspection is open, past the request timeout; RedisTests covers it).
run --phases examples,coverage,fuzzing,stateful --exclude-operation-id revokeKey --exclude-operation-id streamInspectionEvents
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
