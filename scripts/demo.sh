#!/usr/bin/env bash
# Set up seislearn (idempotent) and run the demo on embedded synthetic data.
# Usage: bash scripts/demo.sh [seislearn demo args...]   (default: --out demo-run)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
"$PY" -m pip install --quiet --disable-pip-version-check -e .
if [ "$#" -eq 0 ]; then set -- --out demo-run; fi
exec "$PY" -m seislearn demo "$@"
