#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server (tools/pg-instance.sh: initdb in a temporary
# folder, loopback only, a random free port); WALKAROUND_TEST_POSTGRES_URL points at it. The
# server is stopped and its folder removed when the command ends, whatever its outcome.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/walkaround-pg.XXXXXX)

stop() {
  # Deadlocks the server saw, for whoever reads a failed run.
  grep -A8 -E "deadlock detected" "$dir/server.log" 2>/dev/null | head -60 || true
  "$here/pg-instance.sh" stop "$dir"
  rm -rf "$dir"
}
trap stop EXIT

url=$("$here/pg-instance.sh" start "$dir")
export WALKAROUND_TEST_POSTGRES_URL=$url
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on ${url#postgres://postgres@}"
"$@"
