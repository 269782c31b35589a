#!/usr/bin/env bash
# Runs a command with the tests' webhook receiver (tools/webhooks/receiver.py) on loopback at a
# random port. It verifies every delivery with the PyPI reference library `standardwebhooks`
# (pinned, installed once into a cached venv). WALKAROUND_TEST_WEBHOOK_RECEIVER (read by the
# tests) points at it; the receiver is stopped when the command ends, whatever its outcome.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=1.1.0
venv=${WALKAROUND_CACHE:-$HOME/.cache/walkaround}/webhooks-$version
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import standardwebhooks' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "standardwebhooks==$version"
fi
out=$(mktemp /tmp/walkaround-webhooks.XXXXXX.log)
"$venv/bin/python" -u "$here/webhooks/receiver.py" >"$out" 2>&1 &
receiver=$!
stop() {
  kill "$receiver" 2>/dev/null || true
  wait "$receiver" 2>/dev/null || true
  rm -f "$out"
}
trap stop EXIT
for _ in $(seq 1 100); do
  port=$(head -n 1 "$out" 2>/dev/null || true)
  if [[ "$port" =~ ^[0-9]+$ ]]; then break; fi
  if ! kill -0 "$receiver" 2>/dev/null; then cat "$out"; echo "the webhook receiver did not start" >&2; exit 1; fi
  sleep 0.1
done
[[ "$port" =~ ^[0-9]+$ ]] || { cat "$out"; echo "the webhook receiver gave no port" >&2; exit 1; }
export WALKAROUND_TEST_WEBHOOK_RECEIVER="http://127.0.0.1:$port"
echo "webhook receiver (standardwebhooks $version) on 127.0.0.1:$port"
"$@"
