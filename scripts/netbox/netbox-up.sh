#!/usr/bin/env bash
# Start (or reuse) a real NetBox 4.7.3 on loopback for integration tests and benchmarks.
#
#   eval "$(scripts/netbox/netbox-up.sh)"     # exports NETBOX_URL, NETBOX_TOKEN, NETBOX_TOKEN_V1
#
# Only the three `export` lines go to stdout; every log line goes to stderr. The same lines are
# written to "$WINDHCP_NETBOX_HOME/env" (mode 600).
#
# What it does, idempotently (each step skips itself when already done):
#   apt       install postgresql, redis-server, libpq-dev, gcc, curl if missing
#   postgres  create cluster 15/main if missing, start it if down, create role + database
#   redis     private redis-server on 127.0.0.1:$NETBOX_REDIS_PORT (no persistence)
#   venv      Python 3.12 venv with netbox==4.7.3 from PyPI
#   config    $NETBOX_ROOT/conf/configuration.py (secrets generated once into secrets.env)
#   database  restore the committed pristine migrated snapshot (seconds) or run `netbox migrate`
#             (~6 minutes on 2 cores); then verify with `netbox migrate --check`
#   bootstrap superuser + one v2 token (Bearer nbt_<key>.<secret>) + one v1 token (Token <40 hex>)
#   gunicorn  127.0.0.1:$NETBOX_PORT, 3 workers x 2 threads, then poll /api/status/ until 200
#
# No rqworker is started on purpose: without a worker NetBox updates its search index inline, in
# the request. Writes are a little slower but nothing piles up in a queue, and there is one
# process fewer to manage. (With a worker, every write enqueues a job and a 2-core box falls behind.)
#
# Reuse:
#   * NETBOX_URL + NETBOX_TOKEN already set and answering /api/status/ -> used as is, nothing started.
#   * a gunicorn this script started (PID file) that answers -> reused.
# netbox-down.sh stops only what this script started (PID files and marker files under run/).
#
# Environment (all optional):
#   WINDHCP_NETBOX_HOME   state directory (default /var/tmp/netbox-windhcp; outside the repo so the
#                         venv and database survive across clones)
#   NETBOX_PORT           gunicorn port (default 8765)
#   NETBOX_REDIS_PORT     redis port (default 6389)
#   NETBOX_DB_SNAPSHOT    pg_dump -Fc of a freshly migrated DB (default: the committed one next to
#                         this script); set to an empty string to force `netbox migrate`
#   NETBOX_FRESH_DB=1     drop and recreate the database (then restore the snapshot)
#   NETBOX_DB_NAME        database and role name (default netbox_windhcp; one per state directory)
set -euo pipefail

NETBOX_VERSION=4.7.3
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NB_HOME=${WINDHCP_NETBOX_HOME:-/var/tmp/netbox-windhcp}
PORT=${NETBOX_PORT:-8765}
REDIS_PORT=${NETBOX_REDIS_PORT:-6389}
SNAPSHOT=${NETBOX_DB_SNAPSHOT-$SCRIPT_DIR/netbox-$NETBOX_VERSION-migrated.dump}
PG_VERSION=15
PG_CLUSTER=main
DB_NAME=${NETBOX_DB_NAME:-netbox_windhcp}
DB_USER=$DB_NAME
ADMIN_USER=windhcp-admin
VENV=$NB_HOME/venv
RUN=$NB_HOME/run
LOG=$NB_HOME/log
export NETBOX_ROOT=$NB_HOME/root
BASE_URL="http://127.0.0.1:$PORT"

T0=$(date +%s)
STEP_T0=$T0
log() { printf '[netbox-up %s] %s\n' "$(date +%T)" "$*" >&2; }
step() {
  local now
  now=$(date +%s)
  log "-- $* (previous step $((now - STEP_T0)) s, total $((now - T0)) s)"
  STEP_T0=$now
}
die() { log "ERROR: $*"; exit 1; }

# HTTP status of GET /api/status/ with a token ("000" when nothing answers).
status_code() { # url token
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
    -H "Authorization: $2" -H 'Accept: application/json' "$1/api/status/" 2>/dev/null || true
}

# Authorization header value for a raw token: v2 tokens start with nbt_.
auth_header() { if [[ $1 == nbt_* ]]; then printf 'Bearer %s' "$1"; else printf 'Token %s' "$1"; fi; }

emit_env() { # url v2 v1
  printf 'export NETBOX_URL=%q NETBOX_TOKEN=%q NETBOX_TOKEN_V1=%q\n' "$1" "$2" "$3"
}

pid_alive() { [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# --- 0. an external NetBox given by the caller ------------------------------------------------
if [[ -n ${NETBOX_URL:-} && -n ${NETBOX_TOKEN:-} ]]; then
  code=$(status_code "${NETBOX_URL%/}" "$(auth_header "$NETBOX_TOKEN")")
  if [[ $code == 200 ]]; then
    log "reusing the external NetBox at $NETBOX_URL (NETBOX_URL/NETBOX_TOKEN set and reachable)"
    emit_env "${NETBOX_URL%/}" "$NETBOX_TOKEN" "${NETBOX_TOKEN_V1:-}"
    exit 0
  fi
  log "NETBOX_URL=$NETBOX_URL answers HTTP $code; starting a local NetBox instead"
fi

mkdir -p "$NB_HOME" "$RUN" "$LOG" "$NETBOX_ROOT/conf"
chmod 700 "$NB_HOME"

# Serialize concurrent runs on one home directory. Every daemon below closes fd 9 (9>&-).
exec 9>"$NB_HOME/lock"
if ! flock -n 9; then
  log "another netbox-up holds $NB_HOME/lock; waiting"
  flock 9
fi

# --- 1. fast path: our own gunicorn is up and the tokens work ---------------------------------
if pid_alive "$RUN/gunicorn.pid" && [[ -s $NB_HOME/env && ${NETBOX_FRESH_DB:-0} != 1 ]]; then
  NETBOX_URL='' NETBOX_TOKEN='' NETBOX_TOKEN_V1=''
  # shellcheck source=/dev/null
  source "$NB_HOME/env"
  if [[ $NETBOX_URL == "$BASE_URL" && $(status_code "$NETBOX_URL" "$(auth_header "$NETBOX_TOKEN")") == 200 \
     && $(status_code "$NETBOX_URL" "$(auth_header "$NETBOX_TOKEN_V1")") == 200 ]]; then
    log "reusing the running NetBox at $NETBOX_URL (pid $(cat "$RUN/gunicorn.pid"))"
    emit_env "$NETBOX_URL" "$NETBOX_TOKEN" "$NETBOX_TOKEN_V1"
    exit 0
  fi
fi

# --- 2. apt -------------------------------------------------------------------------------------
step "apt packages"
need=()
for pkg in "postgresql-$PG_VERSION" redis-server libpq-dev gcc curl; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if ((${#need[@]})); then
  log "installing: ${need[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
else
  log "all present"
fi

# --- 3. postgres --------------------------------------------------------------------------------
step "postgres $PG_VERSION/$PG_CLUSTER"
if ! pg_lsclusters -h | awk '{print $1"/"$2}' | grep -qx "$PG_VERSION/$PG_CLUSTER"; then
  log "creating cluster"
  pg_createcluster "$PG_VERSION" "$PG_CLUSTER" >&2
fi
if ! pg_lsclusters -h | awk -v c="$PG_VERSION/$PG_CLUSTER" '$1"/"$2==c {print $4}' | grep -qx online; then
  log "starting cluster"
  pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start </dev/null >&2 9>&-
  touch "$RUN/postgres.started-by-netbox-up"
fi
PG_PORT=$(pg_lsclusters -h | awk -v c="$PG_VERSION/$PG_CLUSTER" '$1"/"$2==c {print $3}')
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break
  sleep 1
done
pg_isready -q -h 127.0.0.1 -p "$PG_PORT" || die "PostgreSQL is not ready on port $PG_PORT"
psql_su() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" "$@"; }

# --- 4. secrets (generated once) ----------------------------------------------------------------
PY=""
PYENV_ROOT_DIR=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
for cand in "$PYENV_ROOT_DIR/versions/3.12.1/bin/python3.12" "$PYENV_ROOT_DIR"/versions/3.12*/bin/python3.12 \
            /usr/bin/python3.12 /usr/local/bin/python3.12; do
  if [[ -x $cand ]] && "$cand" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
    PY=$cand
    break
  fi
done
[[ -n $PY ]] || die "no working python3.12 found (looked in $PYENV_ROOT_DIR/versions/3.12*)"

if [[ ! -s $NB_HOME/secrets.env ]]; then
  log "generating secrets into $NB_HOME/secrets.env"
  (umask 077 && "$PY" - >"$NB_HOME/secrets.env.tmp" <<'EOF'
import secrets, string
alnum = string.ascii_letters + string.digits
def pick(n, alphabet=alnum):
    return "".join(secrets.choice(alphabet) for _ in range(n))
print(f"SECRET_KEY={pick(60)}")
print(f"TOKEN_PEPPER={pick(60)}")
print(f"DB_PASSWORD={pick(32)}")
print(f"ADMIN_PASSWORD={pick(32)}")
print(f"TOKEN_V2_KEY={pick(12)}")
print(f"TOKEN_V2_SECRET={pick(40)}")
print(f"TOKEN_V1={secrets.token_hex(20)}")
EOF
  ) && mv "$NB_HOME/secrets.env.tmp" "$NB_HOME/secrets.env"
fi
# shellcheck source=/dev/null
source "$NB_HOME/secrets.env"

log "role and database"
if [[ ${NETBOX_FRESH_DB:-0} == 1 ]]; then
  log "NETBOX_FRESH_DB=1: stopping our gunicorn and dropping the database"
  if pid_alive "$RUN/gunicorn.pid"; then kill "$(cat "$RUN/gunicorn.pid")"; sleep 2; fi
  rm -f "$RUN/gunicorn.pid"
  psql_su -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE);"
fi
psql_su <<EOF
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN
    CREATE ROLE $DB_USER LOGIN PASSWORD '$DB_PASSWORD';
  ELSE
    ALTER ROLE $DB_USER LOGIN PASSWORD '$DB_PASSWORD';
  END IF;
END \$\$;
EOF
if ! psql_su -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" | grep -qx 1; then
  psql_su -c "CREATE DATABASE $DB_NAME OWNER $DB_USER ENCODING 'UTF8' TEMPLATE template0;"
fi

# --- 5. redis -----------------------------------------------------------------------------------
step "redis on 127.0.0.1:$REDIS_PORT"
if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -qx PONG; then
  if pid_alive "$RUN/redis.pid"; then log "ours, already running"; else log "reusing a redis we did not start"; fi
else
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --pidfile "$RUN/redis.pid" \
    --save '' --appendonly no --dir "$RUN" --logfile "$LOG/redis.log" </dev/null >/dev/null 2>&1 9>&-
  for _ in $(seq 1 20); do
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -qx PONG && break
    sleep 0.25
  done
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -qx PONG || die "redis did not start"
  log "started (pid $(cat "$RUN/redis.pid"))"
fi

# --- 6. venv + netbox ---------------------------------------------------------------------------
step "python venv with netbox==$NETBOX_VERSION ($PY)"
if [[ ! -x $VENV/bin/python ]]; then
  "$PY" -m venv "$VENV"
fi
installed=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("netbox"))' 2>/dev/null || true)
if [[ $installed != "$NETBOX_VERSION" ]]; then
  log "pip install netbox==$NETBOX_VERSION (about 80 s; log: $LOG/pip.log)"
  "$VENV/bin/pip" install -q --upgrade pip >>"$LOG/pip.log" 2>&1
  "$VENV/bin/pip" install "netbox==$NETBOX_VERSION" >>"$LOG/pip.log" 2>&1 \
    || { tail -n 30 "$LOG/pip.log" >&2; die "pip install failed"; }
else
  log "netbox $installed already installed"
fi
NB=("$VENV/bin/netbox")

# --- 7. configuration.py ------------------------------------------------------------------------
step "configuration"
CONF=$NETBOX_ROOT/conf/configuration.py
(umask 077 && cat >"$CONF.new" <<EOF
# Written by scripts/netbox/netbox-up.sh. Loopback-only NetBox for tests; do not edit by hand.
ALLOWED_HOSTS = ['127.0.0.1', 'localhost', '[::1]']
SECRET_KEY = '$SECRET_KEY'
API_TOKEN_PEPPERS = {1: '$TOKEN_PEPPER'}
DATABASE = {
    'ENGINE': 'django.db.backends.postgresql',
    'NAME': '$DB_NAME',
    'USER': '$DB_USER',
    'PASSWORD': '$DB_PASSWORD',
    'HOST': '127.0.0.1',
    'PORT': '$PG_PORT',
    'CONN_MAX_AGE': 300,
}
REDIS = {
    'tasks': {'HOST': '127.0.0.1', 'PORT': $REDIS_PORT, 'PASSWORD': '', 'DATABASE': 0, 'SSL': False},
    'caching': {'HOST': '127.0.0.1', 'PORT': $REDIS_PORT, 'PASSWORD': '', 'DATABASE': 1, 'SSL': False},
}
CENSUS_REPORTING_ENABLED = False
RELEASE_CHECK_URL = None
ISOLATED_DEPLOYMENT = True
MAX_PAGE_SIZE = 1000
EOF
)
CONF_CHANGED=0
if ! cmp -s "$CONF.new" "$CONF"; then
  mv "$CONF.new" "$CONF"
  CONF_CHANGED=1
  log "written $CONF"
else
  rm -f "$CONF.new"
  log "unchanged"
fi

# --- 8. database schema -------------------------------------------------------------------------
step "database schema"
table_count=$(psql_su -d "$DB_NAME" -tAc \
  "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
migrate_from_empty() {
  log "netbox migrate (336 migrations, about 6 minutes on 2 cores; log: $LOG/migrate.log)"
  "${NB[@]}" migrate --no-input >>"$LOG/migrate.log" 2>&1 \
    || { tail -n 30 "$LOG/migrate.log" >&2; die "migrate failed"; }
  # A pristine snapshot (no users, no tokens: no secrets) for the next machine.
  local out=$NB_HOME/netbox-$NETBOX_VERSION-migrated.dump
  runuser -u postgres -- pg_dump -p "$PG_PORT" -Fc --no-owner --no-acl "$DB_NAME" >"$out.tmp"
  mv "$out.tmp" "$out"
  log "snapshot written to $out (commit it as $SCRIPT_DIR/netbox-$NETBOX_VERSION-migrated.dump)"
}
recreate_db() {
  psql_su -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE);"
  psql_su -c "CREATE DATABASE $DB_NAME OWNER $DB_USER ENCODING 'UTF8' TEMPLATE template0;"
}
if [[ $table_count == 0 ]]; then
  if [[ -n $SNAPSHOT && -s $SNAPSHOT ]]; then
    log "restoring snapshot $SNAPSHOT"
    if runuser -u postgres -- pg_restore -p "$PG_PORT" --no-owner --no-acl --role="$DB_USER" \
         --exit-on-error -d "$DB_NAME" <"$SNAPSHOT" >&2 \
       && "${NB[@]}" migrate --check >>"$LOG/migrate.log" 2>&1; then
      log "snapshot restored and matches netbox $NETBOX_VERSION"
    else
      log "snapshot unusable (restore failed or migrations missing); recreating the DB and migrating"
      recreate_db
      migrate_from_empty
    fi
  else
    log "no snapshot at '${SNAPSHOT}'"
    migrate_from_empty
  fi
else
  if "${NB[@]}" migrate --check >>"$LOG/migrate.log" 2>&1; then
    log "schema up to date ($table_count tables)"
  else
    log "unapplied migrations: running netbox migrate"
    "${NB[@]}" migrate --no-input >>"$LOG/migrate.log" 2>&1 \
      || { tail -n 30 "$LOG/migrate.log" >&2; die "migrate failed"; }
  fi
fi

# --- 9. superuser and tokens --------------------------------------------------------------------
step "superuser and tokens"
NB_ADMIN_USER=$ADMIN_USER NB_ADMIN_PASSWORD=$ADMIN_PASSWORD NB_V2_KEY=$TOKEN_V2_KEY \
NB_V2_SECRET=$TOKEN_V2_SECRET NB_V1=$TOKEN_V1 \
  "${NB[@]}" shell --no-imports -c '
import os
from django.contrib.auth import get_user_model
from users.models import Token
env = os.environ
User = get_user_model()
user, _ = User.objects.get_or_create(username=env["NB_ADMIN_USER"])
user.is_superuser = True
user.is_staff = True
user.is_active = True
user.set_password(env["NB_ADMIN_PASSWORD"])
user.save()
v2 = Token.objects.filter(version=2, key=env["NB_V2_KEY"]).first()
if v2 is None or not v2.validate(env["NB_V2_SECRET"]):
    if v2 is not None:
        v2.delete()
    v2 = Token(user=user, version=2, key=env["NB_V2_KEY"], write_enabled=True,
               description="netbox-windhcp tests (v2)")
    v2.token = env["NB_V2_SECRET"]
    v2.save()
    print("v2 token created")
v1 = Token.objects.filter(version=1, plaintext=env["NB_V1"]).first()
if v1 is None:
    v1 = Token(user=user, version=1, write_enabled=True, description="netbox-windhcp tests (v1)")
    v1.token = env["NB_V1"]
    v1.save()
    print("v1 token created")
' >&2 2>>"$LOG/bootstrap.log" || { tail -n 30 "$LOG/bootstrap.log" >&2; die "bootstrap failed"; }
V2_TOKEN="nbt_$TOKEN_V2_KEY.$TOKEN_V2_SECRET"

# --- 10. gunicorn -------------------------------------------------------------------------------
step "gunicorn on $BASE_URL"
if pid_alive "$RUN/gunicorn.pid" && [[ $CONF_CHANGED == 1 ]]; then
  log "configuration changed: restarting gunicorn"
  kill "$(cat "$RUN/gunicorn.pid")"
  for _ in $(seq 1 40); do pid_alive "$RUN/gunicorn.pid" || break; sleep 0.25; done
fi
if pid_alive "$RUN/gunicorn.pid"; then
  log "already running (pid $(cat "$RUN/gunicorn.pid"))"
else
  rm -f "$RUN/gunicorn.pid"
  "$VENV/bin/gunicorn" netbox.wsgi --bind "127.0.0.1:$PORT" --workers 3 --threads 2 --timeout 300 \
    --daemon --pid "$RUN/gunicorn.pid" --error-logfile "$LOG/gunicorn.log" \
    </dev/null >>"$LOG/gunicorn.log" 2>&1 9>&-
fi
log "waiting for $BASE_URL/api/status/"
code=000
for _ in $(seq 1 120); do
  code=$(status_code "$BASE_URL" "Bearer $V2_TOKEN")
  [[ $code == 200 ]] && break
  sleep 1
done
[[ $code == 200 ]] || { tail -n 30 "$LOG/gunicorn.log" >&2; die "/api/status/ answered $code"; }
code1=$(status_code "$BASE_URL" "Token $TOKEN_V1")
[[ $code1 == 200 ]] || die "the v1 token is rejected (HTTP $code1)"

(umask 077 && emit_env "$BASE_URL" "$V2_TOKEN" "$TOKEN_V1" >"$NB_HOME/env")
step "NetBox $NETBOX_VERSION ready at $BASE_URL (env file: $NB_HOME/env)"
emit_env "$BASE_URL" "$V2_TOKEN" "$TOKEN_V1"
