#!/usr/bin/env bash
# Runs tools/oip/triton_client_check.py (NVIDIA's tritonclient[http], pinned, in a cached venv)
# against an Open Inference Protocol server: tools/oip/check.sh URL MODEL FIXTURES
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=2.73.0
venv=${WALKAROUND_CACHE:-$HOME/.cache/walkaround}/tritonclient-$version
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import tritonclient.http, PIL, numpy' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "tritonclient[http]==$version" "numpy==2.2.6" "pillow==12.1.1"
fi
exec "$venv/bin/python" "$here/triton_client_check.py" "$@"
