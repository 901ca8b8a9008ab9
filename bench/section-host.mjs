// Section "host": no-op tasks through real workers. A backlog of N tasks is submitted first (a
// host that starts on a full queue measures the drain, not the submit); then one worker process
// starts. Tasks/s is counted from the first completion seen to the last (start-up and JIT are
// outside the window). Completions are seen without querying the database while it works:
// AgentRuntime's through its task-status NOTIFY ("completed", sent at commit), the peers' through
// their handler counts (reported by the worker process), after which the database is polled until
// it has nothing left (their completions commit in batches after the handler returned).
// Afterwards every task must have completed, exactly once where the system can tell.
//
// Before a worker starts, the backlog is VACUUM ANALYZEd: a production queue has statistics
// (autovacuum keeps them), and every system gets the same treatment. The claim-cost section
// measures the un-analyzed case separately.
import { drain, completionCounter, connect, withClient, dropDb, log, scalar, settle } from './lib.mjs';
import { freshDb, fillBacklog, followStatusNotices, startHost, taskStatusCounts } from './ours.mjs';
import {
  graphileDb, graphileFill, graphileRemaining, graphileFailed, pgbossDb, pgbossFill, pgbossRemaining, pgbossStates,
  startPeer, PGBOSS_QUEUE,
} from './peers.mjs';

export const SLOTS = 256;

export const GRAPHILE_BATCHED = {
  concurrency: SLOTS,
  worker: {
    preparedStatements: true,
    localQueue: { size: 500 },
    completeJobBatchDelay: 0,
    failJobBatchDelay: 0,
  },
};
// "Default settings": no local queue, no batched completion, graphile's own pool (10); only the
// concurrency is the host's 256 slots (graphile's default, 1, would measure one job at a time).
export const GRAPHILE_DEFAULT = { concurrency: SLOTS, worker: {} };
// pg-boss fetches at most once per polling interval per worker (work() call), so its rate is
// bounded by workers x batchSize / interval until the database saturates: it is measured with
// one worker and with four, both at its shortest polling interval (0.5 s).
export const PGBOSS_CONFIGS = [
  ['pgboss_1', { workers: 1, work: { batchSize: 1000, pollingIntervalSeconds: 0.5 }, constructor: {} }],
  ['pgboss_4', { workers: 4, work: { batchSize: 1000, pollingIntervalSeconds: 0.5 }, constructor: {} }],
];

export async function hostSection(ctx) {
  const n = ctx.backlog;
  const out = { backlog: n, slots: SLOTS, systems: {} };

  // --- AgentRuntime --------------------------------------------------------------------------
  {
    const db = 'bench_host_ours';
    const config = hostConfigFromEnv();
    await freshDb(db);
    const fill = await fillBacklog(db, n);
    await withClient(db, (c) => c.query('vacuum analyze'));
    await settle('agent-runtime throughput');
    const counter = completionCounter();
    const listener = await connect(db);
    await followStatusNotices(listener, (_tag, ordinal) => {
      if (ordinal === 2) counter.add(); // the backlog was submitted before listening: working, completed
    });
    const result = await measure(
      () => startHost(db, { name: 'host-throughput', workerId: 'bench-throughput', concurrency: SLOTS, config }),
      (c) => drain(counter, n, () => scalar(c,
        `select count(*)::int from agent_runtime.tasks where status in ('submitted', 'working')`),
      { end: 'counter', what: 'agent-runtime run' }),
      db, () => listener.end());
    const verify = await withClient(db, async (c) => ({
      statuses: await taskStatusCounts(c),
      attempts: Object.fromEntries((await c.query(
        `select attempt, count(*)::int as n from agent_runtime.steps group by attempt order by attempt`)).rows
        .map((x) => [x.attempt, x.n])),
    }));
    result.verified = verify.statuses.completed === n && Object.keys(verify.statuses).length === 1;
    if (!result.verified) {
      throw new Error(`agent-runtime: not every task completed: ${JSON.stringify(verify.statuses)}`);
    }
    out.systems.agent_runtime = {
      label: 'agent-runtime run',
      settings: { 'Worker:Concurrency': SLOTS, ...config, others: 'the defaults of this build (src/AgentRuntime.Host/Worker/WorkerOptions.cs)' },
      fill, ...result, ...verify,
    };
    log(`agent-runtime: ${result.tasks_per_s} tasks/s`);
    await dropDb(db);
  }

  // --- graphile-worker, batched and default ----------------------------------------------------
  for (const [key, label, config] of [
    ['graphile_batched', 'graphile-worker (local queue 500, batched completion)', GRAPHILE_BATCHED],
    ['graphile_default', 'graphile-worker (default settings)', GRAPHILE_DEFAULT],
  ]) {
    const db = `bench_host_${key}`;
    await graphileDb(db);
    const fill = await graphileFill(db, n);
    await withClient(db, (c) => c.query('vacuum analyze'));
    await settle(label);
    const counter = completionCounter();
    const result = await measure(
      () => startPeer(key, { system: 'graphile', database: db, ...config }, counter),
      (c) => drain(counter, n, () => graphileRemaining(c), { end: 'remaining', what: label }),
      db);
    const failed = await withClient(db, (c) => graphileFailed(c));
    result.verified = result.handled === n && failed === 0;
    if (!result.verified) {
      throw new Error(`${label}: handler ran ${result.handled} times for ${n} jobs, ${failed} failed`);
    }
    out.systems[key] = { label, settings: config, fill, ...result };
    log(`${label}: ${result.tasks_per_s} tasks/s`);
    await dropDb(db);
  }

  // --- pg-boss --------------------------------------------------------------------------------
  for (const [key, config] of PGBOSS_CONFIGS) {
    const db = `bench_host_${key}`;
    const label = `pg-boss (batch ${config.work.batchSize}, ${config.workers} worker${config.workers > 1 ? 's' : ''}, ` +
      `polling ${config.work.pollingIntervalSeconds} s)`;
    await pgbossDb(db);
    const fill = await pgbossFill(db, n);
    await withClient(db, (c) => c.query('vacuum analyze'));
    await settle(label);
    const counter = completionCounter();
    const result = await measure(
      () => startPeer(key, { system: 'pgboss', database: db, queue: PGBOSS_QUEUE, ...config }, counter),
      (c) => drain(counter, n, () => pgbossRemaining(c), { end: 'remaining', what: label }),
      db);
    result.states = await withClient(db, (c) => pgbossStates(c));
    result.verified = result.states.completed === n && result.handled === n;
    if (!result.verified) {
      throw new Error(`${label}: ${JSON.stringify(result.states)}, handler saw ${result.handled} of ${n}`);
    }
    out.systems[key] = { label, settings: config, fill, ...result };
    log(`${label}: ${result.tasks_per_s} tasks/s`);
    await dropDb(db);
  }
  return out;
}

/**
 * Starts a worker process, drains the backlog with it, reads its memory and stops it, whatever
 * happens in between. Returns the drain's numbers with start-up time, memory and, for the peers,
 * how many jobs their handler saw.
 */
async function measure(start, drainWith, db, after = async () => {}) {
  const worker = await start();
  let result;
  let memory = null;
  let handled = null;
  try {
    result = await withClient(db, drainWith);
    memory = worker.memory();
  } finally {
    handled = await worker.stop();
    await after().catch(() => {});
  }
  return { ...result, worker_startup_ms: worker.startup_ms, worker_memory_after: memory,
    ...(handled != null ? { handled } : {}) };
}

/** Worker settings given to bench.sh as AGENT_RUNTIME_Worker__* variables (recorded with the numbers). */
export function hostConfigFromEnv() {
  const config = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('AGENT_RUNTIME_Worker__')) {
      config[key.slice('AGENT_RUNTIME_'.length)] = value;
    }
  }
  return config;
}
