// Builds the package (tsc) once before the tests: the tests that start other processes (a
// conversation continued in a new process) run the built code, as a user of the package would.
// AGENT_RUNTIME_TEST_PREBUILT=1: the caller built it (the .NET test that runs this suite does,
// once for all its tests).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export default function setup(): void {
  if (!process.env.AGENT_RUNTIME_TEST_CONNECTION) {
    throw new Error('AGENT_RUNTIME_TEST_CONNECTION is not set: the tests need a migrated AgentRuntime database '
      + '(scripts/test.sh runs them through tests/AgentRuntime.Tests/Clients/TypeScriptClientTests.cs, which makes one)');
  }
  if (process.env.AGENT_RUNTIME_TEST_PREBUILT === '1') {
    return;
  }
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
    { cwd: root, stdio: 'inherit' });
}
