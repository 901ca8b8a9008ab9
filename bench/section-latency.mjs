// Section "latency": one task at a time on an idle worker, so that each number is the wake-up
// path alone (NOTIFY, claim, run, report), never queueing.
//
// AgentRuntime: a host runs (256 slots, default settings); the runner LISTENs on
// agent_runtime_task_status ({"task_id", "status"}; "working" means claimed), submits with
// submit_task on another connection and takes the time from just before the submit is sent to
// the arrival of "working" (submit -> claimed) and of "completed" (submit -> completed, echo).
// graphile-worker: a worker runs in this process (no IPC in the measured path, same clock); the
// time is from just before add_job is sent to the start of the handler. Both of its settings
// from the throughput section are measured. A few untimed tasks warm up each system first, and
// every sample waits 20 ms after the previous one finished.
import { connect, dropDb, pgConfig, now, sleep, summarize, round, log, settle, cpuMeter } from './lib.mjs';
import { freshDb, followStatusNotices, startHost, taskTag } from './ours.mjs';
import { graphileDb, silentGraphileLogger } from './peers.mjs';
import { GRAPHILE_BATCHED, GRAPHILE_DEFAULT, SLOTS, hostConfigFromEnv } from './section-host.mjs';

const WARMUP = 10;
const GAP_MS = 20;
const TIMEOUT_MS = 10_000;

export async function latencySection(ctx) {
  const out = { samples: ctx.latencySamples, warmup: WARMUP, gap_ms: GAP_MS, series: {} };
  Object.assign(out.series, await ours(ctx));
  for (const [key, label, config] of [
    ['graphile_default', 'graphile-worker (default settings): add_job -> handler start', GRAPHILE_DEFAULT],
    ['graphile_batched', 'graphile-worker (local queue 500, batched completion): add_job -> handler start', GRAPHILE_BATCHED],
  ]) {
    out.series[key] = { label, settings: config, ...await graphile(ctx, key, config) };
  }
  return out;
}

async function ours(ctx) {
  const db = 'bench_latency_ours';
  await freshDb(db);
  const host = await startHost(db, { name: 'host-latency', workerId: 'bench-latency', concurrency: SLOTS,
    config: hostConfigFromEnv() });
  await settle('latency agent-runtime');
  const listener = await connect(db);
  const submitter = await connect(db);
  // task tag -> { working, completed } arrival times (the 2nd and 3rd notice of a task that runs
  // once); notifications may beat the submit's reply.
  const seen = new Map();
  const waiters = new Map();
  await followStatusNotices(listener, (tag, ordinal, t) => {
    const entry = seen.get(tag) ?? {};
    if (ordinal === 2) entry.working = t;
    if (ordinal === 3) entry.completed = t;
    seen.set(tag, entry);
    waiters.get(tag)?.();
  });
  const claimed = [];
  const completed = [];
  const submitCalls = [];
  const meter = cpuMeter();
  let cpu;
  try {
    for (let i = 0; i < WARMUP + ctx.latencySamples; i++) {
      const t0 = now();
      const r = await submitter.query(`select task_id from agent_runtime.submit_task('echo', '{"i": ${i}}'::jsonb)`);
      const t1 = now();
      const id = r.rows[0].task_id;
      const tag = taskTag(id);
      const entry = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`task ${id}: no "completed" notification within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
        const check = () => {
          const e = seen.get(tag);
          if (e?.completed !== undefined) {
            clearTimeout(timer);
            waiters.delete(tag);
            resolve(e);
          }
        };
        waiters.set(tag, check);
        check();
      });
      if (entry.working === undefined) {
        throw new Error(`task ${id} completed without a "working" notification`);
      }
      if (i >= WARMUP) {
        submitCalls.push(t1 - t0);
        claimed.push(entry.working - t0);
        completed.push(entry.completed - t0);
      }
      seen.delete(tag);
      await sleep(GAP_MS);
    }
    cpu = meter.stop();
  } finally {
    await listener.end().catch(() => {});
    await submitter.end().catch(() => {});
    await host.stop();
    await dropDb(db);
  }
  const s1 = summarize(claimed);
  const s2 = summarize(completed);
  log(`latency agent-runtime: claimed p50 ${s1.p50} ms p99 ${s1.p99} ms; completed p50 ${s2.p50} ms p99 ${s2.p99} ms`);
  return {
    agent_runtime_claimed: { label: 'agent-runtime: submit_task -> "working" NOTIFY (claimed)', ...s1,
      cpu, samples_ms: claimed.map((x) => round(x, 2)) },
    agent_runtime_completed: { label: 'agent-runtime: submit_task -> "completed" NOTIFY (echo)', ...s2,
      samples_ms: completed.map((x) => round(x, 2)) },
    agent_runtime_submit_call: { label: 'agent-runtime: the submit_task call itself (round trip, commit)',
      ...summarize(submitCalls) },
  };
}

async function graphile(ctx, key, config) {
  const db = `bench_latency_${key}`;
  await graphileDb(db);
  const worker = await import('graphile-worker');
  const pg = (await import('pg')).default;
  const pool = new pg.Pool({ ...pgConfig(db), max: config.maxPoolSize ?? 10 });
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const started = new Map();
  const waiters = new Map();
  const runner = await worker.run({
    pgPool: pool,
    concurrency: config.concurrency,
    noHandleSignals: true,
    taskList: {
      noop: async (payload) => {
        const t = now();
        started.set(payload.i, t);
        waiters.get(payload.i)?.();
      },
    },
    preset: { worker: config.worker ?? {} },
    logger: silentGraphileLogger(worker),
  });
  await settle(`latency ${key}`);
  const client = await connect(db);
  const samples = [];
  const calls = [];
  const meter = cpuMeter();
  let cpu;
  try {
    for (let i = 0; i < WARMUP + ctx.latencySamples; i++) {
      const t0 = now();
      await client.query(`select graphile_worker.add_job('noop', json_build_object('i', $1::int))`, [i]);
      const t1 = now();
      const t = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`graphile job ${i}: handler did not start within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
        const check = () => {
          if (started.has(i)) {
            clearTimeout(timer);
            waiters.delete(i);
            resolve(started.get(i));
          }
        };
        waiters.set(i, check);
        check();
      });
      if (i >= WARMUP) {
        samples.push(t - t0);
        calls.push(t1 - t0);
      }
      await sleep(GAP_MS);
    }
    cpu = meter.stop();
  } finally {
    await client.end().catch(() => {});
    await runner.stop();
    await pool.end().catch(() => {});
    await dropDb(db);
  }
  const s = summarize(samples);
  log(`latency ${key}: handler start p50 ${s.p50} ms p99 ${s.p99} ms`);
  return { ...s, add_job_call: summarize(calls), cpu, samples_ms: samples.map((x) => round(x, 2)) };
}
