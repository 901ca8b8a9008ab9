// Durable runs from TypeScript: the four SQL calls, ctx.step (checkpoints a retry reuses),
// ctx.appendOutput (chunks read in order with their attempt), a stale run refused and dropped,
// and examples/durable-worker.mjs's agent run by a worker.
import {
  AgentRuntimeClient, StaleLeaseError, Worker, type AgentDefinition,
} from '../src/client/index.js';
import { adminPool, connectionString, unique } from './support.js';
// @ts-expect-error: a plain JavaScript example over the built package, without types
import { model, writer } from '../examples/durable-worker.mjs';

const client = new AgentRuntimeClient({ connectionString });
const admin = adminPool();
const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop(0)));
});
afterAll(async () => {
  await client.end();
  await admin.end();
});

async function startWorker(agents: AgentDefinition[]): Promise<Worker> {
  const worker = new Worker({ connectionString, agents, handleSignals: false, pollIntervalMs: 200 });
  workers.push(worker);
  await worker.start();
  return worker;
}

describe('durable runs', () => {
  it('records a checkpoint that the next claim reads after a lease expiry, and refuses the stale run', async () => {
    const name = unique('ts-checkpoint');
    await client.registerAgent(name);
    const task = await client.submitTask(name, {}, { backoff_seconds: 0 });
    const [stale] = (await client.claimSteps('ts-checkpoint-1', [name], { leaseSeconds: 30 })).steps;

    expect(await client.saveCheckpoint(stale!.step_id, stale!.lease_token, 'plan', { steps: 2 })).toEqual({ steps: 2 });
    expect(await client.saveCheckpoint(stale!.step_id, stale!.lease_token, 'plan', { steps: 9 })).toEqual({ steps: 2 });
    expect(await client.appendOutput(stale!.step_id, stale!.lease_token, 'answer', 'Hel')).toBe(1);
    await admin.query("update agent_runtime.steps set lease_expires_at = now() - interval '1 second' where id = $1", [stale!.step_id]);
    const [fresh] = (await client.claimSteps('ts-checkpoint-2', [name], { leaseSeconds: 30 })).steps;

    expect(fresh!.attempt).toBe(2);
    const checkpoints = await client.getCheckpoints(fresh!.step_id, fresh!.lease_token);
    expect(checkpoints.map((c) => [c.name, c.output, c.attempt])).toEqual([['plan', { steps: 2 }, 1]]);
    await expect(client.appendOutput(stale!.step_id, stale!.lease_token, 'answer', 'lo')).rejects.toBeInstanceOf(StaleLeaseError);
    await expect(client.saveCheckpoint(stale!.step_id, stale!.lease_token, 'act', 1)).rejects.toBeInstanceOf(StaleLeaseError);
    expect(await client.appendOutput(fresh!.step_id, fresh!.lease_token, 'answer', 'Hello', true)).toBe(2);
    expect(await client.appendOutput(fresh!.step_id, fresh!.lease_token, 'usage', { tokens: 5 }, true)).toBe(3);

    const chunks = await client.readOutput(task.task_id);
    expect(chunks.map((c) => [c.seq, c.artifact, c.chunk, c.attempt, c.last])).toEqual([
      [1, 'answer', 'Hel', 1, false], [2, 'answer', 'Hello', 2, true], [3, 'usage', { tokens: 5 }, 2, true],
    ]);
    expect((await client.readOutput(task.task_id, { afterSeq: 1, maxChunks: 1 })).map((c) => c.seq)).toEqual([2]);
  });

  it('retryTask keeps the checkpoints of the re-run step unless resetCheckpoints', async () => {
    const name = unique('ts-retry');
    await client.registerAgent(name);
    const task = await client.submitTask(name, {}, { max_attempts: 1 });
    const names: string[][] = [];
    const runAndFail = async () => {
      const [step] = (await client.claimSteps('ts-retry', [name])).steps;
      names.push((await client.getCheckpoints(step!.step_id, step!.lease_token)).map((c) => c.name));
      await client.saveCheckpoint(step!.step_id, step!.lease_token, 'plan', step!.attempt);
      await client.failStep(step!.step_id, step!.lease_token, { message: 'no' }, false);
    };

    await runAndFail();
    await client.retryTask(task.task_id);
    await runAndFail();
    await client.retryTask(task.task_id, { resetCheckpoints: true });
    await runAndFail();

    expect(names).toEqual([[], ['plan'], []]);
  });

  it('ctx.step runs a recorded step once across a retry, and ctx.appendOutput streams every attempt in order', async () => {
    const name = unique('ts-steps');
    const ran: string[] = [];
    await startWorker([{
      name,
      async run(ctx) {
        const first = await ctx.step('first', () => { ran.push(`first@${ctx.attempt}`); return { by: ctx.attempt }; });
        await ctx.appendOutput('answer', `attempt ${ctx.attempt}`, ctx.attempt === 2);
        if (ctx.attempt === 1) throw new Error('broke between the steps');
        const second = await ctx.step('second', () => { ran.push(`second@${ctx.attempt}`); return ctx.attempt; });
        return { first, second };
      },
    }]);

    const task = await client.submitTask(name, {}, { backoff_seconds: 0 });
    const done = await client.waitForTask(task.task_id, { timeoutMs: 30_000 });

    expect(done.status).toBe('completed');
    expect(done.output).toEqual({ first: { by: 1 }, second: 2 });
    expect(ran).toEqual(['first@1', 'second@2']);
    expect((await client.readOutput(task.task_id)).map((c) => [c.seq, c.chunk, c.attempt, c.last]))
      .toEqual([[1, 'attempt 1', 1, false], [2, 'attempt 2', 2, true]]);
  });

  it('a run whose lease was taken away is refused at its next step and its result is dropped', async () => {
    const name = unique('ts-stale');
    let runs = 0;
    const errors: unknown[] = [];
    await startWorker([{
      name,
      async run(ctx) {
        const run = ++runs;
        const first = await ctx.step('first', () => run);
        if (run === 1) {
          // The lease moves on (as when it expired): this run's next write is refused.
          await admin.query('select agent_runtime.requeue_step($1)', [ctx.stepId]);
        }
        try {
          return { first, second: await ctx.step('second', () => run) };
        } catch (error) {
          errors.push(error);
          throw error;
        }
      },
    }]);

    const task = await client.submitTask(name, {}, { backoff_seconds: 0 });
    const done = await client.waitForTask(task.task_id, { timeoutMs: 30_000 });

    expect(done.status).toBe('completed');
    expect(done.output).toEqual({ first: 1, second: 2 });
    expect(runs).toBe(2);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(StaleLeaseError);
    const failed = await admin.query("select count(*)::int as n from agent_runtime.events where task_id = $1 and type = 'step.failed'", [task.task_id]);
    expect(failed.rows[0].n).toBe(0);
  });

  it('runs the example durable agent: a retry reuses its outline and streams the article again', async () => {
    await startWorker([writer as AgentDefinition]);
    const before = model.calls as number;

    const task = await client.submitTask('ts_writer', { topic: 'checkpoints', fail_once: true }, { backoff_seconds: 0 });
    const done = await client.waitForTask(task.task_id, { timeoutMs: 30_000 });

    expect(done.status).toBe('completed');
    expect(done.output).toEqual({ outline: { points: ['what checkpoints are', 'why checkpoints matter'] }, attempt: 2 });
    expect((model.calls as number) - before).toBe(1);
    const chunks = await client.readOutput(task.task_id);
    expect(chunks.map((c) => [c.attempt, c.chunk])).toEqual([
      [1, 'What checkpoints are.'], [1, ' Why checkpoints matter.'], [2, 'What checkpoints are.'], [2, ' Why checkpoints matter.'],
    ]);
  });
});
