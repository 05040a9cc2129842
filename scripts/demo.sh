#!/usr/bin/env bash
# Set up seislearn (idempotent) and run the demo on embedded synthetic data.
# Usage: bash scripts/demo.sh [seislearn demo args...]   (default: --out demo-run --resume,
# so a second run keeps the finished stages and only rewrites the report; --overwrite reruns all)
# The report goes where you are: a relative --out is taken from the current folder.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY=${PYTHON:-python3.11}
"$PY" -m pip install --quiet --disable-pip-version-check -e "$ROOT"
if [ "$#" -eq 0 ]; then set -- --out demo-run --resume; fi
exec "$PY" -m seislearn demo "$@"
