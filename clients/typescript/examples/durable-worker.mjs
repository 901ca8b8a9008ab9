// A durable agent in a TypeScript worker (plain JavaScript over the built package): "ts_writer"
// outlines a topic once (ctx.step records the outline as a checkpoint: a retry gets it back
// instead of paying for it again) and streams its article (ctx.appendOutput: readers see the
// chunks as they commit, with read_output or `agent-runtime submit --wait --stream`).
// docs/durable-agents.md explains the model. Connection: AGENT_RUNTIME_CONNECTION; SIGTERM drains.
//
//   npm run build && AGENT_RUNTIME_CONNECTION=postgresql://... node examples/durable-worker.mjs
import { pathToFileURL } from 'node:url';
import { Worker } from '../dist/index.js';

/** Stands in for a model call: what would cost money and time. `calls` counts them. */
export const model = {
  calls: 0,
  async outline(topic) {
    this.calls++;
    return { points: [`what ${topic} are`, `why ${topic} matter`] };
  },
};

export const writer = {
  name: 'ts_writer',
  description: 'Outlines input.topic once, then streams an article about it (a durable TypeScript agent).',
  inputSchema: { type: 'object', required: ['topic'] },
  async run(ctx) {
    const outline = await ctx.step('outline', () => model.outline(String(ctx.input.topic)));
    for (const [i, point] of outline.points.entries()) {
      await ctx.appendOutput('article', `${i === 0 ? '' : ' '}${point[0].toUpperCase()}${point.slice(1)}.`, i === outline.points.length - 1);
    }
    // input.fail_once: the first attempt breaks after streaming, to show what a retry reuses.
    if (ctx.input.fail_once && ctx.attempt === 1) throw new Error('the connection to the model dropped');
    return { outline, attempt: ctx.attempt };
  },
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const worker = new Worker({
    connectionString: process.env.AGENT_RUNTIME_CONNECTION,
    workerId: process.env.WORKER_ID ?? `ts-writer-${process.pid}`,
    agents: [writer],
    logger: { info: (m) => console.log(m), warn: (m) => console.error(m), error: (m) => console.error(m) },
  });
  await worker.run(); // until SIGTERM or SIGINT, then drains
  console.log('stopped');
}
