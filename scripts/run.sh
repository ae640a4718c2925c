#!/usr/bin/env bash
# Set everything up (once) and run CRM Data Platform on its embedded default:
# SQLite in ./data, the web server and the outbox worker, on http://127.0.0.1:8000.
# Arguments go to `crmdp serve` (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/crmdp migrate --no-input -v0
# The demo's banner names the address serve will listen on (--host, --port).
demo=()
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --host | --port) demo+=("${args[i]}" "${args[i + 1]:-}") ;;
    --host=* | --port=*) demo+=("${args[i]}") ;;
  esac
done
.venv/bin/crmdp demo ${demo[@]+"${demo[@]}"}
exec .venv/bin/crmdp serve "$@"
