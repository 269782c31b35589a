#!/usr/bin/env bash
# make image: walkaround:dev built with podman from deploy/docker/Dockerfile and local bases
# (tools/image/bases.sh); `docker build` with the public bases still works elsewhere.
#   tools/image/build.sh              Swift compiled inside the image (the host's toolchain and
#                                     package mirror mounted read-only), as a registry build does
#   tools/image/build.sh --prebuilt   the runtime image around the host's release binary (the
#                                     lighter variant CI runs: same bookworm libraries)
#   IMAGE=name:tag to name it otherwise; ORT_PACKAGE=onnxruntime-gpu for the CUDA image.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/image/bases.sh
if [ "${1:-}" = --prebuilt ]; then make_bases --no-swift; else make_bases; fi
image=${IMAGE:-walkaround:dev}
args=(--network host --layers
  --build-arg PYTHON_IMAGE=localhost/walkaround-base/python:bookworm
  --build-arg SWIFT_IMAGE=localhost/walkaround-base/swift:bookworm
  --build-arg RUNTIME_IMAGE=localhost/walkaround-base/debian:bookworm-slim
  --build-arg ORT_PACKAGE="${ORT_PACKAGE:-onnxruntime}")
if [ "${1:-}" = --prebuilt ]; then
  swift build -c release --product walkaround --static-swift-stdlib
  bin=$(swift build -c release --show-bin-path)
  rm -rf .build/image/out && mkdir -p .build/image/out
  cp "$bin/walkaround" .build/image/out/
  cp -R "$bin/walkaround_WalkaroundServer.resources" .build/image/out/
  # The Debian packages of every library the binary names (NEEDED), as this bookworm host resolves
  # them: tesseract.pc's -lcurl links whichever libcurl flavour the host's -dev package is.
  packages=$(readelf -d .build/image/out/walkaround | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | while read -r library; do
    path=$(ldconfig -p | awk -v name="$library" '$1 == name { print $NF; exit }')
    if [ -n "$path" ]; then dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | cut -d: -f1 || true; fi
  done | sort -u | tr '\n' ' ')
  echo "runtime packages the binary needs: $packages"
  args+=(--build-arg BINARY_STAGE=prebuilt --build-arg EXTRA_PACKAGES="$packages")
else
  toolchain=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")
  args+=(-v "$toolchain:/opt/swift:ro" -v /opt/swift-packages:/opt/swift-packages:ro)
  # buildah decides which stages are used before it substitutes BINARY_STAGE, and would skip the
  # build stage: build them all (the prebuilt stage then copies an empty folder, unused).
  args+=(--skip-unused-stages=false)
  mkdir -p .build/image/out
fi
started=$(date +%s)
pm build "${args[@]}" -f deploy/docker/Dockerfile -t "$image" .
echo "built $image in $(( $(date +%s) - started )) s: $(pm image inspect "$image" --format '{{.Size}}' | awk '{printf "%.0f MB", $1 / 1e6}')"
