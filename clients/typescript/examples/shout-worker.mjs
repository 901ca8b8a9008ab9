// A TypeScript-side worker (plain JavaScript over the built package): serves the agent
// "ts_shout", which upper-cases its input's text, beside whatever else serves the runtime. The
// polyglot test runs it next to the .NET host, as one step of a workflow whose other steps the
// host runs. Connection: AGENT_RUNTIME_CONNECTION (a pg connection string); SIGTERM drains.
//
//   npm run build && AGENT_RUNTIME_CONNECTION=postgresql://... node examples/shout-worker.mjs
import { Worker } from '../dist/index.js';

const worker = new Worker({
  connectionString: process.env.AGENT_RUNTIME_CONNECTION,
  workerId: process.env.WORKER_ID ?? `ts-shout-${process.pid}`,
  concurrency: 4,
  pollIntervalMs: 500,
  agents: [{
    name: 'ts_shout',
    description: 'Upper-cases input.text (a TypeScript agent).',
    inputSchema: { type: 'object', required: ['text'] },
    async run(ctx) {
      return { text: String(ctx.input.text).toUpperCase(), by: 'typescript' };
    },
  }],
  logger: { info: (m) => console.log(m), warn: (m) => console.error(m), error: (m) => console.error(m) },
});

await worker.run(); // until SIGTERM or SIGINT, then drains
console.log('stopped');
