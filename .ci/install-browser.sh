#!/usr/bin/env bash
# Install what the papers browser test needs: Debian's chromium and Playwright (the Python
# package only; the test drives /usr/bin/chromium, so no Playwright browser download).
# Quiet and idempotent: each step is skipped when already done.
set -euo pipefail

if [ ! -x /usr/bin/chromium ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if ! "$PYTHON" -c "import playwright.sync_api" >/dev/null 2>&1; then
  "$PYTHON" -m pip install --quiet --disable-pip-version-check "playwright>=1.40"
fi

/usr/bin/chromium --version
"$PYTHON" -c "from importlib.metadata import version; print('playwright', version('playwright'))"
