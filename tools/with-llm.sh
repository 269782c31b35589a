#!/usr/bin/env bash
# Runs a command with the self-hosted LLM server: llama.cpp's OpenAI-compatible server
# (llama-cpp-python[server], installed and cached by tools/llm/install.sh) with Gemma 3 270M, on
# loopback at a random free port. WALKAROUND_LLM_URL (read by the service) and
# WALKAROUND_TEST_LLM_URL (read by the tests) point at it. The server is stopped when the command
# ends, whatever its outcome. WALKAROUND_LLM_THREADS sets its threads (default: all cores).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
model=$("$here/llm/install.sh")
python=${WALKAROUND_CACHE:-$HOME/.cache/walkaround}/llm-venv-avx2-noamx/bin/python
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp /tmp/walkaround-llm.XXXXXX.log)

"$python" -m llama_cpp.server --model "$model" --model_alias gemma-3-270m --host 127.0.0.1 --port "$port" \
  --n_ctx 4096 --n_threads "${WALKAROUND_LLM_THREADS:-$(nproc)}" >"$log" 2>&1 &
server=$!
stop() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -f "$log"
}
trap stop EXIT

for _ in $(seq 1 240); do
  if curl -sf "http://127.0.0.1:$port/v1/models" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then cat "$log"; echo "the LLM server did not start" >&2; exit 1; fi
  sleep 0.5
done
curl -sf "http://127.0.0.1:$port/v1/models" >/dev/null || { cat "$log"; echo "the LLM server did not answer in 120 s" >&2; exit 1; }

export WALKAROUND_LLM_URL="http://127.0.0.1:$port/v1"
export WALKAROUND_TEST_LLM_URL="$WALKAROUND_LLM_URL"
echo "LLM server (llama.cpp, $(basename "$model")) on 127.0.0.1:$port"
"$@"
