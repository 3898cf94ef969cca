#!/usr/bin/env bash
# Install what the demo needs into ./.venv, then run it on real MNIST. Arguments go to the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh demo,console
exec .venv/bin/dataerrors demo "$@"
