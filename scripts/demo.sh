#!/usr/bin/env bash
# The README's demo: installs what is missing, builds agent-runtime and runs `agent-runtime demo`:
# a worker in-process and a few tasks (summaries, entity extraction, a retried failure, a cancel)
# shown as they happen, then a summary table and one task's event timeline.
#
# With no AGENT_RUNTIME_CONNECTION it uses a local PostgreSQL of the tool's own (started on
# first use in $AGENT_RUNTIME_HOME, default /var/lib/agent-runtime as root or
# ~/.local/share/agent-runtime otherwise), which keeps running for later commands.
#   scripts/demo.sh                 run the demo
#   scripts/demo.sh --connection CS any option of `agent-runtime demo`
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$repo/scripts/setup.sh"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
echo "demo: building agent-runtime" >&2
dotnet build "$repo/src/AgentRuntime.Cli" -c Release -v quiet -nologo >/dev/null
exec dotnet "$repo/src/AgentRuntime.Cli/bin/Release/net10.0/agent-runtime.dll" demo "$@"
