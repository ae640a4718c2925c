#!/usr/bin/env bash
# The long generated-request run (docs/security.md): schemathesis builds requests from
# the served OpenAPI document and sends them to a real `crmdp serve`, positive and
# negative, 10,000 per engine unless CRMDP_FUZZ_CASES says otherwise; no answer may
# be a 5xx or one the document does not describe.
#   scripts/fuzz.sh                     SQLite, then PostgreSQL (127.0.0.1:5432)
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
  scripts/postgres.sh crmdp_test
  DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/crmdp_test} run
fi
