#!/usr/bin/env bash
# The web app in a real browser: Debian's Chromium and chromedriver (installed when missing),
# Selenium (pinned, cached venv), headless, against a real `walkaround serve` (debug build,
# SQLite, the demo model) on loopback. tools/browser/run.sh [pytest arguments]
# Screenshots of each screen go to docs/ui/ (WALKAROUND_UI_SHOTS=0 to skip).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi
venv=${WALKAROUND_CACHE:-$HOME/.cache/walkaround}/browser-selenium-4.51.0
if ! "$venv/bin/python" -c 'import selenium, pytest, PIL, requests' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "selenium==4.51.0" "pytest==8.4.2" "pillow==12.1.1" "requests==2.32.5"
fi
bin=$(. tools/lib/serve.sh && serve_binary "${WALKAROUND_BROWSER_BUILD:-debug}")
export WALKAROUND_BIN=$PWD/$bin
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider tools/browser "$@"
