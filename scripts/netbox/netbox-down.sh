#!/usr/bin/env bash
# Stop what scripts/netbox/netbox-up.sh started, and nothing else.
#
#   gunicorn   if run/gunicorn.pid names a live gunicorn
#   redis      if run/redis.pid names a live redis-server (the PID file exists only if we started it)
#   postgres   only if run/postgres.started-by-netbox-up exists (we started the cluster)
#
# The venv, the database and the secrets stay, so the next netbox-up takes about 30 s.
# Environment: WINDHCP_NETBOX_HOME (default /var/tmp/netbox-windhcp).
set -euo pipefail

NB_HOME=${WINDHCP_NETBOX_HOME:-/var/tmp/netbox-windhcp}
RUN=$NB_HOME/run
log() { printf '[netbox-down %s] %s\n' "$(date +%T)" "$*" >&2; }

[[ -d $RUN ]] || { log "nothing to do: $RUN does not exist"; exit 0; }

exec 9>"$NB_HOME/lock"
flock 9

# stop_pidfile <file> <expected command substring>
stop_pidfile() {
  local file=$1 what=$2 pid
  [[ -s $file ]] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$what"; then
    log "stopping $what (pid $pid)"
    kill "$pid"
    for _ in $(seq 1 40); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$what did not stop in 10 s; sending SIGKILL"
      kill -9 "$pid" 2>/dev/null || true
    fi
  else
    log "$what from $file is not running"
  fi
  rm -f "$file"
}

stop_pidfile "$RUN/gunicorn.pid" gunicorn
stop_pidfile "$RUN/redis.pid" redis-server

if [[ -e $RUN/postgres.started-by-netbox-up ]]; then
  log "stopping PostgreSQL 15/main (netbox-up started it)"
  pg_ctlcluster 15 main stop </dev/null >&2 9>&- || log "pg_ctlcluster stop failed"
  rm -f "$RUN/postgres.started-by-netbox-up"
fi
rm -f "$NB_HOME/env"
log "done"
