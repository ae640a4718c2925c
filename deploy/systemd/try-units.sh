#!/usr/bin/env bash
# Try the systemd units on a machine whose PID 1 is not systemd (a container, CI):
# check them with `systemd-analyze verify`, install the project at /opt/crmdp as the
# units expect, then run each unit's ExecStart exactly as written, as its User, with
# its EnvironmentFile/Environment, and check that the web unit serves and the worker
# units send. Needs root and a PostgreSQL on 127.0.0.1:5432 (trust auth).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
db=crmdp_units
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }

echo "== systemd-analyze verify (only the missing /opt/crmdp may be reported)"
for unit in "$here"/*.service; do systemd-analyze verify "$unit" 2>&1 | grep -v "is not executable" || true; done

echo "== install /opt/crmdp, user crmdp, /etc/crmdp/crmdp.env"
id crmdp >/dev/null 2>&1 || useradd --system --home /var/lib/crmdp --shell /usr/sbin/nologin crmdp
# A system Python: the service user must be able to run it (a pyenv under /root is not).
rm -rf /opt/crmdp && git clone -q "$repo" /opt/crmdp && PYTHON=/usr/bin/python3 /opt/crmdp/scripts/setup.sh | tail -1
mkdir -p /var/lib/crmdp /etc/crmdp && chown crmdp:crmdp /var/lib/crmdp
psql -h 127.0.0.1 -U postgres -qc "drop database if exists $db with (force)" -c "create database $db"
sed -e "s|^DATABASE_URL=.*|DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db|" \
    -e "s|^SECRET_KEY=.*|SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')|" \
    -e "s|^ALLOWED_HOSTS=.*|ALLOWED_HOSTS=127.0.0.1,localhost|" \
    -e "/^EMAIL_/d" "$here/crmdp.env" > /etc/crmdp/crmdp.env

# The command a unit runs: its ExecStart with %H and %i expanded, as its User, with
# its environment. Prints nothing; runs in the background unless it is oneshot.
run_unit() {
  local unit=$1 instance=${2:-}
  local exec user envfile
  exec=$(sed -n 's/^ExecStart=//p' "$here/$unit" | sed -e "s/%H/$(hostname)/g" -e "s/%i/$instance/g")
  user=$(sed -n 's/^User=//p' "$here/$unit")
  envfile=$(sed -n 's/^EnvironmentFile=-\{0,1\}//p' "$here/$unit")
  echo "   $unit${instance:+ ($instance)}: $exec" >&2
  # shellcheck disable=SC2086
  runuser -u "$user" -- env $(grep -v '^#' "$envfile" | xargs) $exec
}

echo "== crmdp-migrate.service"
run_unit crmdp-migrate.service
cd /tmp
echo "== crmdp-web.service and crmdp-worker@1, @2"
run_unit crmdp-web.service > /tmp/crmdp-web.log 2>&1 &
web=$!
run_unit crmdp-worker@.service 1 > /tmp/crmdp-worker1.log 2>&1 &
w1=$!
run_unit crmdp-worker@.service 2 > /tmp/crmdp-worker2.log 2>&1 &
w2=$!
for _ in $(seq 1 60); do curl -sf http://127.0.0.1:8000/readyz >/dev/null && break; sleep 0.5; done
curl -sf http://127.0.0.1:8000/readyz && echo

echo "== provision, post a contact, wait for its welcome SMS"
crmdp() { runuser -u crmdp -- env $(grep -v '^#' /etc/crmdp/crmdp.env | xargs) /opt/crmdp/.venv/bin/crmdp "$@"; }
token=$(crmdp org create --name Units --owner units@example.com --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["apiToken"])')
crmdp sms set --org Units --provider log >/dev/null
path=$(crmdp listener create --org Units --name Shop --sms-text 'Hi {{ name }}' --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
curl -sf -X POST "http://127.0.0.1:8000$path" --data \
  '{"senderUser": "units@example.com", "data": [{"actionType": "add-contact", "data": {"name": "Unit", "phones": [{"value": "0905000001"}]}}]}' && echo
sent=""
for _ in $(seq 1 40); do
  sent=$(curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:8000/api/v1/messages" \
    | python3 -c 'import json,sys; print(",".join(m["status"] for m in json.load(sys.stdin)["results"]))')
  [ "$sent" = sent ] && break; sleep 0.5
done
echo "welcome SMS: $sent"

echo "== stop them as systemd would (KillSignal=SIGTERM)"
# runuser keeps the unit's process as its child: signal the crmdp processes themselves.
pkill -TERM -u crmdp -f '/opt/crmdp/.venv/bin/crmdp (serve|worker)' || true
status=0
for pid in $web $w1 $w2; do wait "$pid" || status=$?; done
grep -h "started\|stopped" /tmp/crmdp-worker*.log || true
psql -h 127.0.0.1 -U postgres -qc "drop database if exists $db with (force)"
[ "$sent" = sent ] || { echo "FAILED: the welcome SMS was not sent" >&2; exit 1; }
[ "$status" = 0 ] || { echo "FAILED: a unit did not stop cleanly (exit $status)" >&2; exit 1; }
echo "OK: migrate, web and two workers ran from their units, the SMS was sent, all stopped cleanly"
