#!/usr/bin/env bash
# The README's demo: installs what it needs when missing (PostgreSQL, pgvector: `setup.sh --demo`),
# builds agent-runtime and runs `agent-runtime demo`: a worker and an A2A endpoint in-process, a
# workflow (summaries and entities mapped over three documents), a retried failure and a cancel
# shown as they happen; the digest saved as an artifact, a memory recalled, a timeline, and the
# agent card's URL. In a terminal it then serves until Ctrl+C (`--exit` to end at once).
#
# With no AGENT_RUNTIME_CONNECTION it uses a local PostgreSQL of the tool's own (started on
# first use in $AGENT_RUNTIME_HOME, default /var/lib/agent-runtime as root or
# ~/.local/share/agent-runtime otherwise), which keeps running for later commands.
#   scripts/demo.sh                 run the demo
#   scripts/demo.sh --exit          end after the demo
#   scripts/demo.sh --connection CS any option of `agent-runtime demo`
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$repo/scripts/setup.sh" --demo
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
echo "demo: building agent-runtime" >&2
dotnet build "$repo/src/AgentRuntime.Cli" -c Release -v quiet -nologo >/dev/null
exec dotnet "$repo/src/AgentRuntime.Cli/bin/Release/net10.0/agent-runtime.dll" demo "$@"
