#!/usr/bin/env bash
# Entry point of the agent-runtime PostgreSQL image, compatible with the official postgres image's:
#   POSTGRES_PASSWORD (required unless POSTGRES_HOST_AUTH_METHOD=trust), POSTGRES_USER (default
#   postgres), POSTGRES_DB (default: the user's name), POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD
#   (default scram-sha-256 for TCP; the Unix socket inside the container trusts), PGDATA;
#   *.sql, *.sql.gz and *.sh in /docker-entrypoint-initdb.d run once, on a fresh data folder.
# Arguments: `postgres [args]`, or server arguments alone (`-c fsync=off`), as Testcontainers passes
# them; any other command runs as it is.
set -Eeuo pipefail

log() { echo "entrypoint: $*" >&2; }

if [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi

if [ "$1" != postgres ]; then
  exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
  # As root: make the folders ours, then start again as user postgres.
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
fi

POSTGRES_USER="${POSTGRES_USER:-postgres}"
POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"
auth="${POSTGRES_HOST_AUTH_METHOD:-}"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
    log "ERROR: the database is uninitialized and no superuser password is given:"
    log "  set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust to allow every connection without one)"
    exit 1
  fi
  [ -n "$auth" ] || auth=scram-sha-256

  log "initdb $PGDATA (superuser $POSTGRES_USER)"
  pwfile=()
  if [ -n "${POSTGRES_PASSWORD:-}" ]; then
    pwpath="$(mktemp)"
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwpath"
    pwfile=(--pwfile="$pwpath")
  fi
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of arguments, as in the official image
  initdb -D "$PGDATA" --username="$POSTGRES_USER" "${pwfile[@]}" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host="$auth" ${POSTGRES_INITDB_ARGS:-} >/dev/null
  rm -f "${pwpath:-}"
  printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
  printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"

  if [ "$POSTGRES_DB" != postgres ] || [ -n "$(ls -A /docker-entrypoint-initdb.d 2>/dev/null)" ]; then
    # A server on the socket only while the database and the init scripts are set up, as the
    # official image does: readiness checks over TCP fail until the real server starts.
    pg_ctl -D "$PGDATA" -w -t 60 -o "-c listen_addresses='' -p 5432" start >/dev/null
    psql=(psql -X -q -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password)
    if [ "$POSTGRES_DB" != postgres ]; then
      log "creating database $POSTGRES_DB"
      "${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
    fi
    for f in /docker-entrypoint-initdb.d/*; do
      case "$f" in
        *.sh) log "running $f"; if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
        *.sql) log "running $f"; "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" ;;
        *.sql.gz) log "running $f"; gunzip -c "$f" | "${psql[@]}" --dbname "$POSTGRES_DB" ;;
        *) if [ -e "$f" ]; then log "ignoring $f"; fi ;;
      esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  fi
  log "initialized"
fi

exec "$@"
