#!/usr/bin/env bash
# Create .venv (once) and install the project into it.
#   scripts/setup.sh        the product
#   scripts/setup.sh dev    the product and everything the tests need
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
fi
extra=""
[ "${1:-}" = "dev" ] && extra="[dev]"
# Reinstall only when pyproject.toml changed since the last install.
stamp=".venv/.installed${extra}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extra}" 2>&1 \
    | grep -v "^WARNING: Location" || true
  .venv/bin/python -c "import crmdp" # fail here, not later, if the install did not work
  touch "$stamp"
fi
