#!/usr/bin/env bash
# Set everything up (once) and run CRM Data Platform on its embedded default:
# SQLite in ./data, the web server and the outbox worker, on http://127.0.0.1:8000.
# Arguments go to `crmdp serve` (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/crmdp migrate --no-input -v0
.venv/bin/crmdp demo
exec .venv/bin/crmdp serve "$@"
