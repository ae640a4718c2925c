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
  # The build backend's chatter goes to a log, shown only when the install fails.
  if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extra}" \
    >.venv/install.log 2>&1; then
    cat .venv/install.log >&2
    echo "installing the project failed (log above, also in .venv/install.log)" >&2
    exit 1
  fi
  .venv/bin/python -c "import crmdp" # fail here, not later, if the install did not work
  touch "$stamp"
fi
