#!/usr/bin/env bash
# Runs a command with a throwaway Redis (Debian's redis-server, installed by tools/setup.sh) on
# loopback at a random port, with a random password and no persistence. Exports for the tests:
# WALKAROUND_TEST_REDIS_URL, WALKAROUND_TEST_REDIS_PIDFILE (so a test can kill it) and
# WALKAROUND_TEST_REDIS_RESTART (a script that starts it again on the same port). Stopped by its
# PID when the command ends.
set -euo pipefail
command -v redis-server >/dev/null || "$(dirname "$0")/setup.sh" >/dev/null
dir=$(mktemp -d /tmp/walkaround-redis.XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
cat >"$dir/start.sh" <<SH
#!/usr/bin/env bash
# Starts the server on its port; prints its PID. Descriptors above 2 are closed first, so a caller
# that learns of this script's end from a pipe does not wait for the server's end too.
(
for fd in \$(ls /proc/\$BASHPID/fd); do [ "\$fd" -gt 2 ] && eval "exec \$fd>&-"; done
exec redis-server --bind 127.0.0.1 --port $port --requirepass "$password" --save '' --appendonly no --daemonize no --dir "$dir" \\
  >>"$dir/redis.log" 2>&1 </dev/null
) &
pid=\$!
for _ in \$(seq 1 100); do
  if redis-cli -p $port -a "$password" --no-auth-warning ping 2>/dev/null | grep -q PONG; then echo "\$pid" >"$dir/pid"; echo "\$pid"; exit 0; fi
  kill -0 "\$pid" 2>/dev/null || break
  sleep 0.05
done
tail -20 "$dir/redis.log" >&2
echo "redis-server did not start" >&2
exit 1
SH
chmod +x "$dir/start.sh"
stop() {
  local pid
  pid=$(cat "$dir/pid" 2>/dev/null || true)
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap stop EXIT
"$dir/start.sh" >/dev/null
export WALKAROUND_TEST_REDIS_URL="redis://default:$password@127.0.0.1:$port"
export WALKAROUND_TEST_REDIS_PIDFILE="$dir/pid" WALKAROUND_TEST_REDIS_RESTART="$dir/start.sh"
echo "redis-server $(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p') on 127.0.0.1:$port"
"$@"
