#!/usr/bin/env bash
# Local base images for deploy/docker/Dockerfile, made with mmdebstrap from Debian's mirror (no
# registry is reachable here) and cached by podman under localhost/walkaround-base/*:
#   debian:bookworm-slim   the runtime base (minbase + ca-certificates)
#   python:bookworm        the ONNX Runtime stage's base (python3, pip)
#   swift:bookworm         the builder: the toolchain's runtime packages; the toolchain itself and
#                          the Swift package mirror are mounted into the build (tools/image/build.sh)
# Each is made once; `tools/image/bases.sh --rebuild` makes them again. Sourced by the other
# scripts for `pm` (podman with runc and the configuration these machines need).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${WALKAROUND_CACHE:-$HOME/.cache/walkaround}/image
mkdir -p "$cache"
if ! command -v podman >/dev/null || ! command -v mmdebstrap >/dev/null || [ ! -x /usr/sbin/runc ]; then
  echo "installing podman, runc and mmdebstrap (Debian)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman runc uidmap fuse-overlayfs slirp4netns mmdebstrap >/dev/null
fi
# crun fails here (setrlimit, hybrid cgroups); runc with cgroupfs and no default ulimits works.
cat >"$cache/containers.conf" <<'CONF'
[containers]
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
CONF
export CONTAINERS_CONF=$cache/containers.conf
pm() { podman --runtime /usr/sbin/runc "$@"; }

base_image() {  # NAME PACKAGES…: imports a minbase bookworm with PACKAGES as localhost/walkaround-base/NAME
  # ($base_changes: extra `podman import --change` instructions; $base_hook: a customize hook)
  local name=$1; shift
  local image=localhost/walkaround-base/$name
  if [ "${rebuild:-0}" = 0 ] && pm image exists "$image"; then return; fi
  local tar=$cache/${name%%:*}.tar
  local packages
  packages=$(IFS=,; echo "$*")
  echo "making $image (mmdebstrap: $packages)" >&2
  # The build stages fetch from PyPI and Debian: they trust the certificate authorities the host
  # added (a TLS-inspecting proxy's, as here), as the host does.
  local trust=true
  if [ "${base_trusts_host:-0}" = 1 ] && compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    # shellcheck disable=SC2016
    trust='cp /usr/local/share/ca-certificates/*.crt "$1"/usr/local/share/ca-certificates/ && chroot "$1" update-ca-certificates >/dev/null'
  fi
  mmdebstrap --quiet --variant=minbase --include="$packages" --customize-hook="$trust" --customize-hook="${base_hook:-true}" \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' bookworm "$tar"
  local changes=(--change 'CMD ["/bin/bash"]')
  for change in "${base_changes[@]}"; do changes+=(--change "$change"); done
  pm import "${changes[@]}" "$tar" "$image" >/dev/null
  rm -f "$tar"
}

make_bases() {  # [--no-swift]: not the builder (a prebuilt binary's image needs only the other two)
  base_changes=() base_hook=true base_trusts_host=0
  base_image debian:bookworm-slim ca-certificates
  # Debian's pip refuses installs outside a venv unless told (the GPU stage's `pip install --target`).
  base_trusts_host=1
  base_changes=('ENV PIP_BREAK_SYSTEM_PACKAGES=1')
  base_image python:bookworm ca-certificates python3 python3-pip python-is-python3
  [ "${1:-}" = --no-swift ] && return
  # The toolchain is mounted at /opt/swift and the package mirror at /opt/swift-packages by
  # build.sh; git reads github.com addresses from the mirror as on the host.
  base_changes=('ENV PATH=/opt/swift/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
  # shellcheck disable=SC2016
  base_hook='chroot "$1" git config --system url./opt/swift-packages/.insteadOf https://github.com/'

  # What the Swift toolchain needs at run time and to link (as the official swift image has),
  # plus the C libraries' headers the build stage installs itself.
  base_image swift:bookworm ca-certificates git gnupg2 libc6-dev libcurl4-openssl-dev libedit2 libgcc-12-dev libpython3-dev \
    libsqlite3-0 libstdc++-12-dev libxml2-dev libncurses-dev libz3-dev pkg-config tzdata zlib1g-dev binutils unzip
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  rebuild=0
  [ "${1:-}" = --rebuild ] && rebuild=1
  make_bases
  pm images --filter reference='localhost/walkaround-base/*' --format '{{.Repository}}:{{.Tag}} {{.Size}}'
fi
