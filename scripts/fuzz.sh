#!/usr/bin/env bash
# The long generated-request run (docs/security.md): schemathesis builds requests from
# the served OpenAPI document and sends them to a real `crmdp serve`, positive and
# negative, 10,000 per engine unless CRMDP_FUZZ_CASES says otherwise; no answer may
# be a 5xx or one the document does not describe.
#   scripts/fuzz.sh                     SQLite, then PostgreSQL (a throwaway embedded
#                                       server as in scripts/test.sh, or TEST_DATABASE_URL)
#   scripts/fuzz.sh --engine sqlite     one engine only (sqlite or postgres)
set -euo pipefail
cd "$(dirname "$0")/.."
engine=all
[ "${1:-}" = "--engine" ] && engine=$2
scripts/setup.sh dev
export CRMDP_DATA_DIR=${CRMDP_DATA_DIR:-$PWD/.test-data}
export CRMDP_FUZZ_CASES=${CRMDP_FUZZ_CASES:-10000}
run() {
  .venv/bin/pytest -p no:cacheprovider -q -s tests/server/test_generated_requests.py
}
if [ "$engine" = all ] || [ "$engine" = sqlite ]; then
  echo "== $CRMDP_FUZZ_CASES generated requests on SQLite"
  env -u DATABASE_URL bash -c "$(declare -f run); run"
fi
if [ "$engine" = all ] || [ "$engine" = postgres ]; then
  echo "== $CRMDP_FUZZ_CASES generated requests on PostgreSQL"
  pg_url=${TEST_DATABASE_URL:-}
  if [ -z "$pg_url" ]; then
    pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/crmdp-fuzz-pg.XXXXXX")
    trap '.venv/bin/python -m crmdp.backends.embedded_postgres stop "$pg_dir"; rm -rf "$pg_dir"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    pg_url=$(.venv/bin/python -m crmdp.backends.embedded_postgres start "$pg_dir" \
      --throwaway --database crmdp_test)
  fi
  DATABASE_URL=$pg_url run
fi
