#!/usr/bin/env bash
# The README's demo: installs what is missing, starts (or reuses) a local PostgreSQL in
# .agent-runtime/ of this checkout, migrates a fresh demo database with `agent-runtime
# migrate`, and walks one task through its life from psql (examples/quickstart.sql).
#
#   scripts/demo.sh            run the demo
#   scripts/demo.sh --stop     stop the demo's PostgreSQL
# Env: AGENT_RUNTIME_CONNECTION  use this PostgreSQL (Npgsql connection string to a user
#      that may create databases) instead of the local one.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="$repo/.agent-runtime"
log() { echo "demo: $*" >&2; }

if [ "${1:-}" = "--stop" ]; then
  exec bash "$repo/scripts/pg-local.sh" stop "$state"
fi

bash "$repo/scripts/setup.sh"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

if [ -n "${AGENT_RUNTIME_CONNECTION:-}" ]; then
  server="$AGENT_RUNTIME_CONNECTION"
else
  log "starting the local PostgreSQL in $state"
  server="$(bash "$repo/scripts/pg-local.sh" start "$state")"
fi

# Every run starts from an empty database, so the demo shows the same story each time.
demo_db="agent_runtime_demo"
field() { printf '%s' "$server" | tr ';' '\n' | sed -n "s/^$1=//Ip" | head -n 1; }
export PGHOST="$(field Host)" PGPORT="$(field Port)" PGUSER="$(field Username)"
export PGPASSWORD="$(field Password)"
psql -X -q -d postgres -c "drop database if exists $demo_db with (force)"
connection="$(printf '%s' "$server" | sed -E 's/(^|;)Database=[^;]*//I');Database=$demo_db"

log "building agent-runtime and migrating $demo_db"
dotnet build "$repo/src/AgentRuntime.Cli" -c Release -v quiet -nologo >/dev/null
dotnet run --project "$repo/src/AgentRuntime.Cli" -c Release --no-build -- migrate --connection "$connection" >/dev/null

log "one task, from submit to completion, in psql:"
echo
psql -X -v ON_ERROR_STOP=1 -d "$demo_db" -f "$repo/examples/quickstart.sql"
echo
log "done. Explore: psql -h '$PGHOST' -p $PGPORT -U $PGUSER $demo_db   (stop: scripts/demo.sh --stop)"
