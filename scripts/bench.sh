#!/usr/bin/env bash
# The benchmark harness: AgentRuntime side by side with graphile-worker and pg-boss,
# on one PostgreSQL cluster that this script starts for the run and removes afterwards.
#
#   scripts/bench.sh                      every section, full sizes; writes docs/benchmarks.{md,json,svg}
#   scripts/bench.sh --quick              every section, small sizes (a few minutes; for development)
#   scripts/bench.sh --only host,latency  some sections (host sql submit latency claim recovery rss fairness purge adk output)
#
# Options:
#   --quick                small sizes everywhere (results go to the scratch folder unless --out)
#   --only LIST            comma-separated sections to run (default: all)
#   --backlog N            tasks in the throughput backlog (default 40000; --quick 5000)
#   --claim-sizes A,B      ready steps for the claim-cost section (default 10000,1000000; --quick 2000,50000)
#   --latency-samples N    tasks for each latency series (default 200; --quick 50)
#   --out DIR              where benchmarks.{md,json,svg} go (default: docs/ for a full run of every
#                          section, else $BENCH_WORK/results, so a partial run never overwrites docs/)
#   --keep                 leave the cluster running and its folder in place (prints how to reach it)
#   --no-setup             skip scripts/setup.sh
#   --no-build             reuse the agent-runtime published by the previous run
#
# Env: BENCH_WORK (scratch folder, default /tmp/agent-runtime-bench: the cluster, npm packages,
# the published CLI and partial results), PG_BIN (folder with initdb/pg_ctl/pgbench),
# AGENT_RUNTIME_Worker__* (passed to every host, e.g. AGENT_RUNTIME_Worker__ClaimBatchSize=500),
# BENCH_QUIET_WAIT_S, BENCH_QUIET_BUDGET_S (how long one window, and all of them together, wait for
# other processes on the machine to quiet down; default 120 and 900).
#
# Design:
# - One cluster, default settings (initdb's own postgresql.conf; only where to listen is set),
#   fsync and synchronous_commit on. Each system gets its own database in it and the systems run
#   one after another, never at once: the machine has 2 cores and every number must be the
#   system's own.
# - Only loopback: a Unix socket in a folder the cluster owns (everything connects there) and
#   127.0.0.1 with a password nobody uses. No other address is ever contacted.
# - The measuring itself is Node (bench/*.mjs, the `pg` package): the peers are Node libraries,
#   and one driver language keeps the clocks and the statistics the same for everyone. pgbench
#   drives the one-statement-per-call submit loops.
# - The npm packages are installed from bench/package-lock.json into the scratch folder (never into
#   the repository); the bench scripts are copied beside them so that Node resolves them there.
# - Everything this script starts is stopped by its EXIT trap: the hosts and workers the runner
#   spawned (their pids are written to a file as they start), the runner, the cluster.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { echo "bench: $*" >&2; }
die() { echo "bench: ERROR: $*" >&2; exit 1; }
usage() { sed -n '2,/^# Design:/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

quick=0 only="" backlog="" claim_sizes="" samples="" out="" keep=0 setup=1 build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --only) only="${2:?--only needs a list}"; shift ;;
    --only=*) only="${1#*=}" ;;
    --backlog) backlog="${2:?}"; shift ;;
    --backlog=*) backlog="${1#*=}" ;;
    --claim-sizes) claim_sizes="${2:?}"; shift ;;
    --claim-sizes=*) claim_sizes="${1#*=}" ;;
    --latency-samples) samples="${2:?}"; shift ;;
    --latency-samples=*) samples="${1#*=}" ;;
    --out) out="${2:?}"; shift ;;
    --out=*) out="${1#*=}" ;;
    --keep) keep=1 ;;
    --no-setup) setup=0 ;;
    --no-build) build=0 ;;
    -h|--help) usage ;;
    *) echo "bench: unknown option $1" >&2; usage ;;
  esac
  shift
done

all_sections="host,sql,submit,latency,claim,recovery,rss,fairness,purge,adk,output"
sections="${only:-$all_sections}"
for s in ${sections//,/ }; do
  case ",$all_sections," in *",$s,"*) ;; *) die "unknown section '$s' (sections: $all_sections)" ;; esac
done
if [ -z "$out" ]; then
  if [ "$quick" = 0 ] && [ -z "$only" ]; then out="$repo/docs"; else out="${BENCH_WORK:-/tmp/agent-runtime-bench}/results"; fi
fi

[ "$(id -u)" -eq 0 ] || die "run as root: the cluster runs as user postgres (runuser), PostgreSQL refuses root"
id postgres >/dev/null 2>&1 || die "user postgres does not exist (scripts/setup.sh installs PostgreSQL, which creates it)"

if [ "$setup" = 1 ]; then
  bash "$repo/scripts/setup.sh"
fi

if [ -z "${PG_BIN:-}" ]; then
  if command -v pg_ctl >/dev/null 2>&1; then PG_BIN="$(dirname "$(readlink -f "$(command -v pg_ctl)")")"; fi
  if [ -z "${PG_BIN:-}" ] || [ ! -x "$PG_BIN/initdb" ]; then PG_BIN=/usr/lib/postgresql/15/bin; fi
fi
for b in initdb pg_ctl postgres pgbench psql; do
  [ -x "$PG_BIN/$b" ] || die "$PG_BIN/$b not found (run scripts/setup.sh, or set PG_BIN)"
done
"$PG_BIN/postgres" --version | grep -q ' 15\.' || log "WARNING: $("$PG_BIN/postgres" --version) is not PostgreSQL 15"
command -v node >/dev/null 2>&1 || die "node not found (scripts/setup.sh installs it)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "Node.js >= 20 needed (graphile-worker 0.17 and pg-boss 10), found $(node --version)"

work="${BENCH_WORK:-/tmp/agent-runtime-bench}"
mkdir -p "$work"
work="$(cd "$work" && pwd -P)"
# postgres must be able to reach its folders: every parent of $work must be traversable.
p="$work"; while [ "$p" != / ]; do
  runuser -u postgres -- test -x "$p" || die "$p is not accessible to user postgres: set BENCH_WORK to a folder under /tmp"
  p="$(dirname "$p")"
done

# --- npm packages (scratch folder, from the committed lockfile) ------------------------------------
nodedir="$work/node"
mkdir -p "$nodedir"
if ! cmp -s "$repo/bench/package-lock.json" "$nodedir/package-lock.json" || [ ! -d "$nodedir/node_modules/graphile-worker" ]; then
  log "npm ci (graphile-worker, pg-boss, pg, @google/adk, @mikro-orm/postgresql) into $nodedir"
  cp "$repo/bench/package.json" "$repo/bench/package-lock.json" "$nodedir/"
  (cd "$nodedir" && npm ci --no-audit --no-fund --silent >&2)
fi
# The scripts run from beside their node_modules (ES modules resolve packages from the file's folder).
rm -f "$nodedir"/*.mjs
cp "$repo"/bench/*.mjs "$nodedir/"

# --- the TypeScript client (section adk): built from the checkout, beside the bench's packages ----
# Its dist/ resolves @google/adk and pg from $nodedir/node_modules, the same copies ADK's own
# DatabaseSessionService uses there.
rm -rf "$nodedir/agent-runtime-client"
if [[ ",$sections," == *",adk,"* ]]; then
  tsclient="$repo/clients/typescript"
  [ -x "$tsclient/node_modules/.bin/tsc" ] || die "clients/typescript/node_modules is missing: run scripts/setup.sh"
  log "tsc clients/typescript -> $nodedir/agent-runtime-client"
  (cd "$tsclient" && node node_modules/typescript/bin/tsc -p tsconfig.json) || die "building clients/typescript failed"
  mkdir -p "$nodedir/agent-runtime-client"
  cp -r "$tsclient/dist" "$nodedir/agent-runtime-client/"
fi

# --- agent-runtime (Release, published into the scratch folder) -----------------------------------
clidir="$work/cli"
if [ "$build" = 1 ] || [ ! -x "$clidir/agent-runtime" ]; then
  log "dotnet publish src/AgentRuntime.Cli (Release) -> $clidir"
  rm -rf "$clidir"
  DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 dotnet publish "$repo/src/AgentRuntime.Cli" -c Release -o "$clidir" \
    -nologo -v quiet >"$work/publish.log" 2>&1 || { tail -n 30 "$work/publish.log" >&2; die "dotnet publish failed"; }
fi
[ -x "$clidir/agent-runtime" ] || die "$clidir/agent-runtime was not produced"

# --- the cluster ------------------------------------------------------------------------------------
pgdir="$work/pg"; data="$pgdir/data"; sock="$pgdir/run"; pidfile="$work/children.pids"
as_pg() { runuser -u postgres -- "$@"; }
runner_pid=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$runner_pid" ] && kill -0 "$runner_pid" 2>/dev/null; then kill -TERM "$runner_pid" 2>/dev/null || true; sleep 1; kill -KILL "$runner_pid" 2>/dev/null || true; fi
  # Hosts and workers the runner started (it stops them itself; this is for a runner that died).
  if [ -f "$pidfile" ]; then
    while read -r pid; do
      [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    done <"$pidfile"
    rm -f "$pidfile"
  fi
  if [ "$keep" = 1 ] && [ -f "$data/postmaster.pid" ]; then
    log "kept the cluster: psql -h $sock -p $port -U postgres  (stop: runuser -u postgres -- $PG_BIN/pg_ctl stop -D $data)"
  else
    if [ -f "$data/postmaster.pid" ]; then as_pg "$PG_BIN/pg_ctl" stop -D "$data" -m fast -w -t 60 >/dev/null 2>&1 || true; fi
    mkdir -p "$work/logs"; cp "$pgdir/postgres.log" "$work/logs/postgres.log" 2>/dev/null || true
    rm -rf "$pgdir"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -f "$data/postmaster.pid" ]; then
  log "stopping a cluster left by an earlier run in $data"
  as_pg "$PG_BIN/pg_ctl" stop -D "$data" -m fast -w -t 60 >/dev/null 2>&1 || true
fi
rm -rf "$pgdir" "$pidfile"
mkdir -p "$pgdir"
chown postgres:postgres "$pgdir"
as_pg mkdir -m 700 "$sock"
[ ${#sock} -le 90 ] || die "socket path $sock is too long: set BENCH_WORK to a shorter folder"
pwfile="$pgdir/pw"
as_pg sh -c "umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >'$pwfile'"
locale=C; locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$' && locale=C.UTF-8
log "initdb $data"
as_pg "$PG_BIN/initdb" -D "$data" -U postgres -E UTF8 --locale="$locale" \
  --auth-local=trust --auth-host=scram-sha-256 --pwfile="$pwfile" >"$pgdir/initdb.log" 2>&1 \
  || { cat "$pgdir/initdb.log" >&2; die "initdb failed"; }
port_in_use() { [ -e "$sock/.s.PGSQL.$1" ] || (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=$((55000 + RANDOM % 2000)); while port_in_use "$port"; do port=$((port + 1)); done
# Where to listen is the only change to initdb's configuration: every other setting (fsync,
# synchronous_commit, shared_buffers, max_connections, autovacuum ...) keeps its default.
as_pg tee -a "$data/postgresql.conf" >/dev/null <<EOF
# --- scripts/bench.sh: loopback only ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sock'
port = $port
EOF
log "starting PostgreSQL on $sock (and 127.0.0.1) port $port"
as_pg "$PG_BIN/pg_ctl" start -D "$data" -l "$pgdir/postgres.log" -w -t 60 >/dev/null \
  || { tail -n 20 "$pgdir/postgres.log" >&2; die "PostgreSQL did not start"; }

# --- the measurements -------------------------------------------------------------------------------
mkdir -p "$out"
args=(--sections "$sections" --out "$out" --work "$work")
[ "$quick" = 1 ] && args+=(--quick)
[ -n "$backlog" ] && args+=(--backlog "$backlog")
[ -n "$claim_sizes" ] && args+=(--claim-sizes "$claim_sizes")
[ -n "$samples" ] && args+=(--latency-samples "$samples")
log "running sections: $sections"
BENCH_PGHOST="$sock" BENCH_PGPORT="$port" BENCH_PG_BIN="$PG_BIN" BENCH_PG_DATA="$data" \
BENCH_CLI="$clidir/agent-runtime" BENCH_REPO="$repo" BENCH_PIDFILE="$pidfile" \
  node "$nodedir/run.mjs" "${args[@]}" &
runner_pid=$!
rc=0; wait "$runner_pid" || rc=$?
runner_pid=""
[ "$rc" = 0 ] || die "the runner failed (exit $rc); logs: $work/logs/ (the PostgreSQL log is copied there on exit)"
log "results: $out/benchmarks.md, $out/benchmarks.json, $out/benchmarks.svg"
