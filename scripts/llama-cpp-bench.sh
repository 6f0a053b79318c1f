#!/usr/bin/env bash
# Times llama.cpp beside `seed generate` on the same model and the same machine, in turns: llama-cpp-python
# (its vendored llama.cpp built here with -march=native, so with exactly the vector units this CPU exposes)
# reads a 512-token prompt and decodes 128 tokens, 2 threads, 5 repetitions, the method of the training
# dossier; `seed bench serve --generate-only` measures Seed's figures between its rounds.
# The first run builds llama.cpp into .build/llama-cpp-venv (about 20 minutes on 2 cores).
# usage: scripts/llama-cpp-bench.sh [MODEL_DIR (default /tmp/gpt2s)] [ROUNDS (default 3)]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-/tmp/gpt2s}
rounds=${2:-3}
venv=.build/llama-cpp-venv
if ! "$venv/bin/python" -c "import llama_cpp, gguf" 2>/dev/null; then
    python3 -m venv "$venv"
    CMAKE_ARGS="-DGGML_NATIVE=ON" CMAKE_BUILD_PARALLEL_LEVEL=2 "$venv/bin/pip" install --quiet llama-cpp-python==0.3.36 gguf numpy
fi
swift build -c release --product seed
seed=.build/release/seed
[ -f "$model/config.json" ] || "$seed" bench serve --model "$model" --random-shape gpt2-small --generate-only >/dev/null
gguf="$model/model-f32.gguf"
[ -f "$gguf" ] || "$venv/bin/python" scripts/llama-cpp/to_gguf.py "$model" "$gguf"
"$venv/bin/python" -c "import llama_cpp; print(llama_cpp.llama_print_system_info().decode())"
for round in $(seq "$rounds"); do
    echo "round $round"
    "$seed" bench serve --model "$model" --generate-only | grep '^generate'
    "$venv/bin/python" scripts/llama-cpp/bench.py "$gguf" 5
done
