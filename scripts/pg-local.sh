#!/usr/bin/env bash
# A local PostgreSQL cluster in a folder of your choice, for humans, the demo and tests.
#
#   scripts/pg-local.sh start  <dir>         init (first time) + start; prints the Npgsql connection string
#   scripts/pg-local.sh status <dir>         prints the connection string if running (exit 3 if not)
#   scripts/pg-local.sh stop   <dir> [--rm]  stop (fast shutdown); --rm also deletes <dir>
#
# <dir> holds pgdata/ (the cluster), run/ (the Unix socket) and postgres.log. Only a Unix
# socket is used (no TCP); the port is a free one, chosen once and kept in <dir>/port.
# A cluster already running in <dir> is reused. As root, the server runs as user postgres.
# Env: PG_BIN (folder with initdb/pg_ctl/postgres), PG_LOCAL_PORT (port to use).
# stdout carries only the connection string, progress goes to stderr, so:
#   export AGENT_RUNTIME_TEST_DATABASE="$(scripts/pg-local.sh start /tmp/ar-pg)"
set -euo pipefail

log() { echo "pg-local: $*" >&2; }
die() { echo "pg-local: ERROR: $*" >&2; exit 1; }
usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[ $# -ge 2 ] || usage
cmd="$1"; dir="$2"; shift 2

if [ -z "${PG_BIN:-}" ]; then
  if command -v pg_ctl >/dev/null 2>&1; then PG_BIN="$(dirname "$(readlink -f "$(command -v pg_ctl)")")"; fi
  if [ -z "${PG_BIN:-}" ] || [ ! -x "$PG_BIN/initdb" ]; then PG_BIN=/usr/lib/postgresql/15/bin; fi
fi
for b in initdb pg_ctl postgres; do
  [ -x "$PG_BIN/$b" ] || die "$PG_BIN/$b not found (run scripts/setup.sh, or set PG_BIN)"
done

mkdir -p "$dir"
dir="$(cd "$dir" && pwd -P)"
data="$dir/pgdata"; sock="$dir/run"; logf="$dir/postgres.log"

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "user postgres does not exist (PostgreSQL refuses to run as root)"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

conn_string() { echo "Host=$sock;Port=$1;Username=postgres;Database=postgres"; }

running_port() { # prints the port of a server running in $data, or fails
  [ -f "$data/postmaster.pid" ] || return 1
  as_pg "$PG_BIN/pg_ctl" status -D "$data" >/dev/null 2>&1 || return 1
  sed -n '4p' "$data/postmaster.pid"
}

port_in_use() { # TCP listener on localhost, or a socket file of that port in our socket dir
  [ -e "$sock/.s.PGSQL.$1" ] && return 0
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
  return 1
}

case "$cmd" in
  start)
    if port="$(running_port)"; then
      log "reusing the server running in $data"
      conn_string "$port"; exit 0
    fi
    if [ "$(id -u)" -eq 0 ]; then
      chown postgres:postgres "$dir"
      # every parent folder must be traversable by postgres
      p="$dir"; while [ "$p" != / ]; do p="$(dirname "$p")"
        runuser -u postgres -- test -x "$p" || die "$p is not accessible to user postgres: pick another <dir> (e.g. under /tmp)"
      done
    fi
    as_pg mkdir -p "$sock"
    as_pg chmod 700 "$sock"
    if [ ! -f "$data/PG_VERSION" ]; then
      locale=C; locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$' && locale=C.UTF-8
      log "initdb $data"
      as_pg "$PG_BIN/initdb" -D "$data" --auth=trust -U postgres -E UTF8 --locale="$locale" >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
      as_pg tee -a "$data/postgresql.conf" >/dev/null <<EOF
# --- scripts/pg-local.sh ---
listen_addresses = ''
unix_socket_directories = '$sock'
EOF
    fi
    port="${PG_LOCAL_PORT:-}"
    [ -z "$port" ] && [ -f "$dir/port" ] && port="$(cat "$dir/port")"
    if [ -z "$port" ] || port_in_use "$port"; then
      port=$((54320 + RANDOM % 1000))
      while port_in_use "$port"; do port=$((port + 1)); done
    fi
    as_pg sh -c 'echo "$1" >"$2"' _ "$port" "$dir/port"
    [ ${#sock} -le 90 ] || die "socket path $sock is too long for a Unix socket: pick a shorter <dir>"
    log "starting PostgreSQL ($PG_BIN) on $sock port $port"
    as_pg "$PG_BIN/pg_ctl" start -D "$data" -l "$logf" -w -t 60 -o "-p $port" >/dev/null \
      || { tail -n 20 "$logf" >&2 || true; die "server did not start (log: $logf)"; }
    conn_string "$port"
    ;;
  status)
    if port="$(running_port)"; then conn_string "$port"; else log "not running: $data"; exit 3; fi
    ;;
  stop)
    if running_port >/dev/null; then
      log "stopping $data"
      as_pg "$PG_BIN/pg_ctl" stop -D "$data" -m fast -w -t 60 >/dev/null
    else
      log "not running: $data"
    fi
    if [ "${1:-}" = "--rm" ]; then log "removing $dir"; rm -rf "$dir"; fi
    ;;
  *) usage ;;
esac
