#!/usr/bin/env bash
# Install the test dependencies into ./.venv, then run the test suite. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
bash scripts/setup-venv.sh demo,console,dev,transformers,lightning
exec .venv/bin/python -m pytest "$@"
