#!/usr/bin/env bash
# Set up everything the tests need (idempotent) and run the whole test suite.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
"$PY" -m pip install --quiet --disable-pip-version-check -e ".[dev]"
if [ -f .ci/install-browser.sh ]; then bash .ci/install-browser.sh; fi
exec "$PY" -m pytest "$@"
