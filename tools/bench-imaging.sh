#!/usr/bin/env bash
# Imaging benchmark: decode + orient + letterbox of a 12 MP JPEG (EXIF orientation 6) to 640×640,
# Walkaround (release build) side by side with Pillow and OpenCV, in one run, each in its own
# process. Usage: tools/bench-imaging.sh [ITERATIONS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
iterations=${1:-40}
rounds=${2:-3}
if [ ! -x .venv-bench/bin/python ]; then
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install -q -r tools/bench/requirements.txt
fi
swift build -c release --product imaging-bench >/dev/null
photo=.build/bench-12mp.jpg
[ -f "$photo" ] || .venv-bench/bin/python tools/bench/make_photo.py "$photo" 4000 3000 6
echo "# $(nproc) cores, $(ls -l "$photo" | awk '{print $5}') bytes, $iterations iterations per tool, $rounds rounds interleaved"
for round in $(seq "$rounds"); do
  .build/release/imaging-bench "$photo" "$iterations" 640
  .venv-bench/bin/python tools/bench/imaging_bench.py pillow "$photo" "$iterations" 640
  .venv-bench/bin/python tools/bench/imaging_bench.py opencv "$photo" "$iterations" 640
  .venv-bench/bin/python tools/bench/imaging_bench.py opencv-threads "$photo" "$iterations" 640
done
