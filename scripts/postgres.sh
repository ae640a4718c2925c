#!/usr/bin/env bash
# For a developer's own server (the tests bring theirs: scripts/test.sh, scripts/fuzz.sh).
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 (starting the local
# cluster if it is down) and that the database named in $1 exists.
set -euo pipefail
db=${1:-crmdp_test}
host=${PGHOST:-127.0.0.1}
port=${PGPORT:-5432}
user=${PGUSER:-postgres}
if ! pg_isready -q -h "$host" -p "$port"; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "PostgreSQL is not running; starting the local cluster" >&2
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start
  fi
  for _ in $(seq 1 30); do pg_isready -q -h "$host" -p "$port" && break; sleep 1; done
fi
if ! pg_isready -q -h "$host" -p "$port"; then
  echo "no PostgreSQL server on $host:$port (see docs/operations.md)" >&2
  exit 1
fi
if ! psql -h "$host" -p "$port" -U "$user" -d postgres -Atc "select 1 from pg_database where datname='$db'" | grep -q 1; then
  psql -h "$host" -p "$port" -U "$user" -d postgres -qc "create database \"$db\""
fi
