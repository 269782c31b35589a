#!/usr/bin/env bash
# Puts libonnxruntime.so from the pinned PyPI wheel into .ort/lib (once). The service loads it with
# dlopen; ORT_LIBRARY_PATH or WALKAROUND_INFERENCE_LIBRARY point elsewhere (e.g. the onnxruntime-gpu
# wheel's library, same ABI).
set -euo pipefail
cd "$(dirname "$0")/.."
version=1.31.1
target=.ort/lib/libonnxruntime.so
[ -f "$target" ] && exit 0
mkdir -p .ort/wheel .ort/lib
python3 -m pip download -q --no-deps --only-binary=:all: --dest .ort/wheel "onnxruntime==$version"
python3 - "$version" <<'PY'
import glob, shutil, sys, zipfile
version = sys.argv[1]
wheel = glob.glob(f".ort/wheel/onnxruntime-{version}-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith(f"capi/libonnxruntime.so.{version}"))
    with z.open(name) as src, open(".ort/lib/libonnxruntime.so", "wb") as dst:
        shutil.copyfileobj(src, dst)
PY
echo "onnxruntime $version: $target"
