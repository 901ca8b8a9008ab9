// The TypeScript worker against the real SQL: claims on wake-ups, runs agents, reports in
// batches, retries and fails, yields, cancels through the AbortSignal, and drains.
import {
  AgentRuntimeClient, NonRetryableError, StepResults, Worker, type AgentDefinition, type StepContext,
} from '../src/client/index.js';
import { adminPool, connectionString, unique } from './support.js';

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

async function startWorker(agents: AgentDefinition[], options: Partial<ConstructorParameters<typeof Worker>[0]> = {}): Promise<Worker> {
  const worker = new Worker({ connectionString, agents, handleSignals: false, pollIntervalMs: 60_000, ...options } as never);
  workers.push(worker);
  await worker.start();
  return worker;
}

/** A promise and its resolver. */
function latch<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
}

describe('Worker', () => {
  it('runs steps woken by NOTIFY and reports what finishes together in one batch', async () => {
    const name = unique('ts-batch');
    const release = latch();
    let started = 0;
    const allStarted = latch();
    const worker = await startWorker([{
      name,
      async run(ctx) {
        if (++started === 10) allStarted.resolve();
        await release.promise;
        return { echoed: ctx.input, attempt: ctx.attempt };
      },
    }], { concurrency: 10 });
    const batches: number[] = [];
    const complete = worker.client.completeSteps.bind(worker.client);
    worker.client.completeSteps = (completions) => {
      batches.push(completions.length);
      return complete(completions);
    };

    const tasks = await client.submitTasks(Array.from({ length: 10 }, (_, i) => ({ target: name, input: { i } })));
    await allStarted.promise; // the poll interval is a minute: the wake-up brought them
    release.resolve();
    const done = await Promise.all(tasks.map((t) => client.waitForTask(t.task_id, { timeoutMs: 30_000 })));

    expect(done.map((t) => t.status)).toEqual(Array(10).fill('completed'));
    expect(done.map((t) => t.output)).toEqual(tasks.map((_, i) => ({ echoed: { i }, attempt: 1 })));
    // the first result goes at once; the nine that finished while it was on its way go together
    expect(batches).toEqual([1, 9]);
  });

  it('retries a thrown error, fails for good on NonRetryableError, and passes results built with StepResults', async () => {
    const name = unique('ts-fail');
    await startWorker([{
      name,
      run(ctx: StepContext) {
        const input = ctx.input as { mode: string };
        if (input.mode === 'flaky' && ctx.attempt === 1) throw new Error('first attempt fails');
        if (input.mode === 'fatal') throw new NonRetryableError('cannot do this');
        if (input.mode === 'fail') return StepResults.fail({ message: 'declined', code: 42 }, { retryable: false });
        if (input.mode === 'reject') return StepResults.reject({ why: 'not for me' });
        return StepResults.complete({ attempt: ctx.attempt }, { state_delta: { 'user:seen': true } });
      },
    }]);
    const [flaky, fatal, fail, reject] = await client.submitTasks(['flaky', 'fatal', 'fail', 'reject'].map((mode) => ({
      target: name, input: { mode }, options: { backoff_seconds: 0, app_name: 'ts-worker-app', user_id: 'ann' },
    })));

    const flakyDone = await client.waitForTask(flaky!.task_id, { timeoutMs: 30_000 });
    expect(flakyDone).toMatchObject({ status: 'completed', output: { attempt: 2 } });
    const session = await client.getSession('ts-worker-app', 'ann', flakyDone.session_id, { numRecentEvents: 0 });
    expect(session.state['user:seen']).toBe(true);
    expect(await client.waitForTask(fatal!.task_id, { timeoutMs: 30_000 }))
      .toMatchObject({ status: 'failed', error: { message: 'cannot do this', type: 'NonRetryableError' } });
    expect(await client.waitForTask(fail!.task_id, { timeoutMs: 30_000 }))
      .toMatchObject({ status: 'failed', error: { message: 'declined', code: 42 } });
    expect(await client.waitForTask(reject!.task_id, { timeoutMs: 30_000 }))
      .toMatchObject({ status: 'rejected', error: { code: 'rejected', why: 'not for me' } });
  });

  it('fails a run past its timeout with the error the runtime gives a timed-out run', async () => {
    const name = unique('ts-slow');
    await startWorker([{
      name,
      async run(ctx) {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        throw ctx.signal.reason;
      },
    }]);
    const { task_id } = await client.submitTask(name, {}, { timeout: 1, max_attempts: 1 });
    expect(await client.waitForTask(task_id, { timeoutMs: 30_000 })).toMatchObject({
      status: 'failed', error: { code: 'timeout', message: 'attempt 1 ran past its timeout of 1 s' },
    });
  });

  it('yields for input and resumes with the message that answered', async () => {
    const name = unique('ts-ask');
    await startWorker([{
      name,
      run(ctx) {
        if (!ctx.resumedFrom) return StepResults.yield('input-required', { payload: { question: 'which city?' } });
        const messages = ctx.resumedFrom.messages as { content: { parts: { text: string }[] } }[];
        return { city: messages[0]!.content.parts[0]!.text };
      },
    }]);
    const { task_id } = await client.submitTask(name);
    const asked = await client.waitForTask(task_id, { until: (t) => t.status === 'input-required', timeoutMs: 30_000 });
    expect(asked.status_message).toEqual({ question: 'which city?' });
    await client.sendMessage(task_id, { role: 'user', parts: [{ kind: 'text', text: 'Porto' }] });
    expect(await client.waitForTask(task_id, { timeoutMs: 30_000 })).toMatchObject({ status: 'completed', output: { city: 'Porto' } });
  });

  it('aborts a step whose task is canceled, at its next heartbeat, and reports nothing for it', async () => {
    const name = unique('ts-cancel');
    const running = latch();
    const aborted = latch<unknown>();
    const worker = await startWorker([{
      name,
      async run(ctx) {
        running.resolve();
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        aborted.resolve(ctx.signal.reason);
        return { finished: 'anyway' };
      },
    }], { leaseSeconds: 3 });
    const completions: number[] = [];
    const complete = worker.client.completeSteps.bind(worker.client);
    worker.client.completeSteps = (c) => { completions.push(c.length); return complete(c); };

    const { task_id } = await client.submitTask(name);
    await running.promise;
    await client.cancelTask(task_id, 'no longer needed');
    const reason = await aborted.promise as Error;
    expect(reason.name).toBe('CanceledError');
    const task = await client.getTask(task_id);
    expect(task.status).toBe('canceled');
    expect((task.steps[0] as { status: string }).status).toBe('canceled');
    expect(completions).toEqual([]);
  });

  it('drains: lets running steps finish within the grace period, hands back the rest', async () => {
    const quick = unique('ts-quick');
    const stuck = unique('ts-stuck');
    const bothRunning = latch();
    const finishQuick = latch();
    let runningCount = 0;
    const onStart = () => { if (++runningCount === 2) bothRunning.resolve(); };
    const worker = await startWorker([
      { name: quick, async run() { onStart(); await finishQuick.promise; return 'quick done'; } },
      { name: stuck, async run(ctx) { onStart(); await new Promise((r) => ctx.signal.addEventListener('abort', r)); throw ctx.signal.reason; } },
    ]);
    const quickTask = await client.submitTask(quick);
    const stuckTask = await client.submitTask(stuck);
    await bothRunning.promise;

    const stopping = worker.stop(500);
    finishQuick.resolve();
    await stopping;

    expect(await client.getTask(quickTask.task_id)).toMatchObject({ status: 'completed', output: 'quick done' });
    const handedBack = await client.getTask(stuckTask.task_id);
    expect(handedBack.status).toBe('working');
    expect(handedBack.steps[0]).toMatchObject({ status: 'ready', attempt: 0 });
    // and another worker takes it over
    await startWorker([{ name: stuck, run: () => 'second worker' }]);
    expect(await client.waitForTask(stuckTask.task_id, { timeoutMs: 30_000 })).toMatchObject({ status: 'completed', output: 'second worker' });
  });

  it('claims only for wake-ups that name one of its agents', async () => {
    const name = unique('ts-wake');
    const worker = await startWorker([{ name, run: () => null }]);
    let claims = 0;
    const claim = worker.client.claimSteps.bind(worker.client);
    const claimed = latch();
    worker.client.claimSteps = async (...args) => {
      claims++;
      const result = await claim(...args);
      claimed.resolve();
      return result;
    };
    const notifier = await admin.connect();
    try {
      for (let i = 0; i < 20; i++) {
        await notifier.query("select pg_notify('agent_runtime_wakeup', $1)", [`someone-else-${i}`]);
      }
      await notifier.query("select pg_notify('agent_runtime_wakeup', $1)", [name]); // delivered after the others
      await claimed.promise;
    } finally {
      notifier.release();
    }
    expect(claims).toBe(1);
  });
});
