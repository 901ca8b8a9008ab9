#!/usr/bin/env bash
# Runs the whole test suite: scripts/setup.sh (installs what is missing), then
# `dotnet test AgentRuntime.sln` with TRX results, and prints as its last line
#   tests: N passed, N failed[, N skipped]
# counting every TRX file and the JUnit reports of the TypeScript client's vitest suite, which a
# .NET test (tests/AgentRuntime.Tests/Clients/TypeScriptClientTests.cs) runs against the same
# PostgreSQL and writes into the results folder.
# Exit code: non-zero when the build or any test failed, or when no test ran.
#
#   scripts/test.sh                                  everything
#   scripts/test.sh --filter "FullyQualifiedName~Sessions"   extra args go to dotnet test
#   scripts/test.sh path/to/Other.sln|.csproj [args]  another solution or project
# The tests' PostgreSQL (tests/AgentRuntime.Tests/Infrastructure/PostgresServer.cs), printed before
# the summary: AGENT_RUNTIME_TEST_DATABASE when set; else a Testcontainers container of the
# project's image (docker/postgres, built by scripts/setup.sh) when a Docker engine answers; else a
# throwaway local cluster of the machine's PostgreSQL binaries.
# Env:
#   AGENT_RUNTIME_TEST_DATABASE  an existing PostgreSQL to test against (see docker-compose.yml)
#   AGENT_RUNTIME_TEST_DOCKER=0  no container: the throwaway local cluster
#   TEST_CONFIGURATION  Release (default) or Debug
#   TEST_RESULTS_DIR    where the .trx files go (default: a fresh folder under /tmp, printed)
#   TEST_VERBOSITY      console logger verbosity (default: normal)
#   TEST_HANG_TIMEOUT   a single test running longer than this aborts the run (default: 20m)
#   SKIP_SETUP=1        do not run scripts/setup.sh
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { echo "test: $*" >&2; }

target=""
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then target="$1"; shift; fi
if [ -z "$target" ]; then
  for t in "$repo/AgentRuntime.sln" "$repo/AgentRuntime.slnx"; do
    if [ -f "$t" ]; then target="$t"; break; fi
  done
fi
if [ -z "$target" ] || [ ! -e "$target" ]; then
  log "ERROR: no solution to test (${target:-$repo/AgentRuntime.sln} not found)"
  echo "tests: 0 passed, 1 failed"
  exit 1
fi

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export MSBUILDDISABLENODEREUSE=1

if [ "${SKIP_SETUP:-0}" != 1 ]; then
  bash "$repo/scripts/setup.sh"
fi

results="${TEST_RESULTS_DIR:-}"
if [ -z "$results" ]; then
  results="$(mktemp -d "${TMPDIR:-/tmp}/agent-runtime-tests.XXXXXX")"
else
  mkdir -p "$results"
  find "$results" \( -name '*.trx' -o -name '*.junit.xml' \) -type f -delete
  find "$results" -mindepth 1 -type d -empty -delete
fi
log "dotnet test $target (results in $results)"
export AGENT_RUNTIME_TEST_SERVER_FILE="$results/test-server.txt"
export AGENT_RUNTIME_TEST_RESULTS_DIR="$results"
rm -f "$AGENT_RUNTIME_TEST_SERVER_FILE"

rc=0
dotnet test "$target" \
  --configuration "${TEST_CONFIGURATION:-Release}" \
  --results-directory "$results" \
  --logger "trx" \
  --logger "console;verbosity=${TEST_VERBOSITY:-normal}" \
  --blame-hang-timeout "${TEST_HANG_TIMEOUT:-20m}" --blame-hang-dump-type none \
  "$@" </dev/null || rc=$?

# Sum the <Counters .../> of every TRX file (one per test project).
total=0 passed=0 failed=0 skipped=0 nfiles=0
attr() { # $1 = attribute name, $2 = the Counters element
  local v
  v="$(printf '%s' "$2" | grep -o " $1=\"[0-9]*\"" | head -n1 | grep -o '[0-9][0-9]*' || true)"
  echo "${v:-0}"
}
shopt -s nullglob globstar
for trx in "$results"/**/*.trx; do
  counters="$(tr '\n' ' ' <"$trx" | grep -o '<Counters [^>]*>' | head -n1 || true)"
  [ -n "$counters" ] || { log "WARNING: no <Counters> in $trx"; continue; }
  nfiles=$((nfiles + 1))
  total=$((total + $(attr total "$counters")))
  passed=$((passed + $(attr passed "$counters")))
  failed=$((failed + $(attr failed "$counters") + $(attr error "$counters") + $(attr timeout "$counters") + $(attr aborted "$counters")))
  # xunit's skipped tests are results with outcome NotExecuted, counted in total but not in executed
  ne="$(attr notExecuted "$counters")"; te=$(( $(attr total "$counters") - $(attr executed "$counters") ))
  skipped=$((skipped + (ne > te ? ne : te)))
done

# Add the vitest results: the <testsuite .../> elements of every JUnit report.
for junit in "$results"/**/*.junit.xml; do
  suites="$(tr '\n' ' ' <"$junit" | grep -o '<testsuite [^>]*>' || true)"
  [ -n "$suites" ] || { log "WARNING: no <testsuite> in $junit"; continue; }
  nfiles=$((nfiles + 1))
  while IFS= read -r suite; do
    t=$(attr tests "$suite"); f=$(( $(attr failures "$suite") + $(attr errors "$suite") )); s=$(attr skipped "$suite")
    total=$((total + t)); failed=$((failed + f)); skipped=$((skipped + s)); passed=$((passed + t - f - s))
  done <<<"$suites"
done

if [ -f "$AGENT_RUNTIME_TEST_SERVER_FILE" ]; then
  sed 's/^/test: /' "$AGENT_RUNTIME_TEST_SERVER_FILE" >&2
fi

status=0
if [ "$rc" -ne 0 ]; then
  status=1
  if [ "$failed" -eq 0 ]; then
    log "ERROR: dotnet test exited with $rc (build failure or crashed test host); counted as 1 failure"
    failed=1
  fi
fi
if [ "$failed" -gt 0 ]; then status=1; fi
if [ "$rc" -eq 0 ] && [ $((passed + failed)) -eq 0 ]; then
  log "ERROR: no test ran ($nfiles result files, $total tests)"
  status=1
fi

line="tests: $passed passed, $failed failed"
if [ "$skipped" -gt 0 ]; then line="$line, $skipped skipped"; fi
echo "$line"
exit "$status"
