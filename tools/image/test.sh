#!/usr/bin/env bash
# make image-test: the image started as the manifests start it, and checked as it runs
# (tools/image/image_test.py). tools/image/test.sh [IMAGE] (default walkaround:dev)
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/image/bases.sh
# kubectl renders the manifests: the one make k8s-check installs when the machine has none.
export PATH="$PATH:$PWD/.venv-k8s/bin"
command -v kubectl >/dev/null || { echo "kubectl is needed to render the manifests: run make k8s-check once (it installs it)"; exit 1; }
venv=${WALKAROUND_CACHE:-$HOME/.cache/walkaround}/image-test-pyyaml6.0.3
if ! "$venv/bin/python" -c 'import yaml' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check pyyaml==6.0.3
fi
exec "$venv/bin/python" tools/image/image_test.py "$@"
