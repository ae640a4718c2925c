#!/usr/bin/env bash
# Set everything up (once) and run every check: ruff, mypy, then the whole test
# suite on SQLite and again on PostgreSQL (127.0.0.1:5432, trust auth).
#   scripts/test.sh                     everything
#   scripts/test.sh --engine sqlite     one engine only (sqlite or postgres)
#   scripts/test.sh -- -k add_contact   extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."
engine=all
while [ $# -gt 0 ]; do
  case "$1" in
    --engine) engine=$2; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
scripts/setup.sh dev
export CRMDP_DATA_DIR=${CRMDP_DATA_DIR:-$PWD/.test-data}
echo "== ruff"
lint=(crmdp tests)
[ -d bench ] && lint+=(bench)  # ruff fails on a path that does not exist
.venv/bin/ruff check "${lint[@]}"
.venv/bin/ruff format --check "${lint[@]}"
echo "== mypy"
.venv/bin/mypy crmdp
run_pytest() {
  # Exit code 5 (no tests collected) is a failure too. Two workers: one per core.
  .venv/bin/pytest -p no:cacheprovider -n "${PYTEST_WORKERS:-2}" "$@"
}
# PostgreSQL is needed on the SQLite pass too: tests/server runs some servers on
# both engines whatever the pass.
scripts/postgres.sh crmdp_test
if [ "$engine" = all ] || [ "$engine" = sqlite ]; then
  echo "== tests on SQLite"
  env -u DATABASE_URL bash -c "$(declare -f run_pytest); run_pytest $(printf '%q ' "$@")"
fi
if [ "$engine" = all ] || [ "$engine" = postgres ]; then
  echo "== tests on PostgreSQL"
  DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/crmdp_test} run_pytest "$@"
fi
