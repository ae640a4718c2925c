#!/usr/bin/env bash
# scripts/test.sh as on a bare machine (issue 16's proof): after the install step, in a
# network namespace of its own (only loopback: nothing listens on 5432) with the
# system's PostgreSQL binaries and socket directory hidden under empty mounts. The
# suite must still run on both engines. Needs root (unshare); Linux only.
#   scripts/test-bare.sh [test.sh's arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev  # the install step: the only one that needs the network
exec unshare --net --mount bash -euo pipefail -c '
  ip link set lo up
  for hidden in /usr/lib/postgresql /var/run/postgresql; do
    if [ -d "$hidden" ]; then mount -t tmpfs -o size=1m,mode=0755 empty "$hidden"; fi
  done
  if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
    echo "something listens on 127.0.0.1:5432" >&2; exit 1
  fi
  if ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "a system PostgreSQL is still visible" >&2; exit 1
  fi
  echo "== bare: no network but loopback, nothing on 5432, no system PostgreSQL"
  exec scripts/test.sh "$@"
' test-bare "$@"
