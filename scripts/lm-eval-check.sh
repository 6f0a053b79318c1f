#!/usr/bin/env bash
# Checks `seed serve` with lm-evaluation-harness: installs lm-eval (about 760 MB, no torch) into a virtual
# environment under .build/lm-eval-venv, then runs the Swift test that serves a tiny model, runs
# `lm-eval run --model local-completions ... tokenizer_backend=remote` on scripts/lm-eval/seed_mc.yaml
# and compares every reported log-likelihood with Seed's own within 1e-4.
# usage: scripts/lm-eval-check.sh [swift test options, e.g. --scratch-path .build-serve]
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build/lm-eval-venv
if ! "$venv/bin/python" -c "import lm_eval" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "lm-eval[api]"
fi
SEED_LM_EVAL_PYTHON="$PWD/$venv/bin/python" swift test "$@" --filter LMEvalTests
