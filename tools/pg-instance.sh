#!/usr/bin/env bash
# One throwaway PostgreSQL server in a folder: loopback only, a random free port, no fsync (a
# test server's data need not outlive a power cut, and CI's disks are slow; PG_DURABLE=1 keeps
# fsync and synchronous commits on, as production runs, for load tests).
#   tools/pg-instance.sh start DIR     initdb (once) and start; prints the connection URL (also in DIR/url)
#   tools/pg-instance.sh restart DIR   fast shutdown and start again on the same port
#   tools/pg-instance.sh stop DIR      fast shutdown (the folder stays; remove it yourself)
# Used by tools/with-postgres.sh and by the test that restarts PostgreSQL under load.
set -euo pipefail
action=$1
dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

as_owner() {
  # initdb and postgres refuse to run as root: use the postgres account then.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local port durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  port=$(cat "$dir/port")
  [ "${PG_DURABLE:-0}" = 1 ] && durability="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 $durability" start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
}

case $action in
  start)
    mkdir -p "$dir"
    if [ ! -d "$dir/data" ]; then
      if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; fi
      as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
      python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' >"$dir/port"
    fi
    start
    echo "postgres://postgres@127.0.0.1:$(cat "$dir/port")/postgres?sslmode=disable" | tee "$dir/url"
    ;;
  restart)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    start
    ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|restart|stop DIR" >&2; exit 2 ;;
esac
