#!/usr/bin/env bash
# Install the system packages that some tests use, when this shell may: Debian's Chromium (the
# console's browser tests) and Fashion-MNIST (the out-of-coverage tests). Without root or apt-get
# it only says what is missing; those tests then skip with the reason.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -d /usr/share/datasets/fashion-mnist ] || missing+=(dataset-fashion-mnist)
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${missing[*]} with apt-get ..." >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
    echo "Not installed: ${missing[*]} (Debian packages); the tests that need them will skip." >&2
fi
