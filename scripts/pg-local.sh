#!/usr/bin/env bash
# A local PostgreSQL cluster in a folder of your choice, for humans and scripts: a thin wrapper of
# `agent-runtime postgres` (the project's one launcher, EmbeddedPostgres, which also gives the CLI
# its default database and the tests their fallback cluster).
#
#   scripts/pg-local.sh start  <dir>           init (first time) + start; creates database agent_runtime
#                                              with pgvector, migrates it, prints its connection string
#   scripts/pg-local.sh status <dir>           prints the connection string if running (exit 3 if not)
#   scripts/pg-local.sh stop   <dir> [--rm]    stop (fast shutdown); --rm also deletes <dir>
#
# <dir> holds pgdata/ (the cluster), run/ (the Unix socket: no TCP), postgres.log and port.
# A cluster already running in <dir> is reused. As root, the server runs as user postgres.
# stdout carries only the connection string, so:
#   export AGENT_RUNTIME_CONNECTION="$(scripts/pg-local.sh start /tmp/ar-pg)"
set -euo pipefail

[ $# -ge 2 ] || { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
cmd="$1"; dir="$2"; shift 2
cli="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/agent-runtime"
case "$cmd" in
  start|status) exec "$cli" postgres "$cmd" --dir "$dir" "$@" ;;
  stop) if [ "${1:-}" = --rm ]; then shift; set -- --delete "$@"; fi
        exec "$cli" postgres stop --dir "$dir" "$@" ;;
  *) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
