import { defineConfig } from 'vitest/config';

// The tests need a migrated AgentRuntime database: AGENT_RUNTIME_TEST_CONNECTION (a pg connection
// string of a role that may create roles, e.g. the superuser of a test database). scripts/test.sh
// runs them through tests/AgentRuntime.Tests/Clients/TypeScriptClientTests.cs, which makes that
// database on the .NET tests' PostgreSQL. `globals: true` is what LangGraph's validation suite needs.
export default defineConfig({
  test: {
    globals: true,
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
