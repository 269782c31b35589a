#!/usr/bin/env bash
# Installs the system packages Walkaround needs when they are missing (Debian/Ubuntu, root or sudo).
set -euo pipefail

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
command -v swift >/dev/null || { echo "swift is not on PATH: install the Swift 6.2+ toolchain first" >&2; exit 1; }
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v curl >/dev/null || missing+=(curl)
command -v pkg-config >/dev/null || missing+=(pkg-config)
# Imaging: libjpeg-turbo's TurboJPEG API and libpng, found through pkg-config.
[ -f /usr/include/turbojpeg.h ] || missing+=(libturbojpeg0-dev)
pkg-config --exists libpng 2>/dev/null || missing+=(libpng-dev)
# Plates: Tesseract's C API and its English data (the single-line LSTM model).
pkg-config --exists tesseract 2>/dev/null || missing+=(libtesseract-dev)
ls /usr/share/tesseract-ocr/*/tessdata/eng.traineddata >/dev/null 2>&1 || missing+=(tesseract-ocr-eng)
# Redis for the tests (tools/with-redis.sh); the service runs without one.
command -v redis-server >/dev/null || missing+=(redis-server)

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ONNX Runtime's shared library from the pinned PyPI wheel, into .ort/lib (dlopen'ed by the service).
"$(dirname "$0")/install-onnxruntime.sh"
