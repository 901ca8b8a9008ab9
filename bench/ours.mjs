// AgentRuntime's side of the bench: migrating, filling backlogs through the public API
// (submit_tasks), and running `agent-runtime run` hosts as child processes.
import { createHash } from 'node:crypto';
import {
  env, log, run, spawnLogged, npgsql, connect, withClient, createDb, scalar, now, sleep, memoryOf, round,
} from './lib.mjs';

export const TEMPLATE = 'bench_ar_template';

/** Migrates the template database every section copies. */
export async function prepareTemplate() {
  await withClient('postgres', (c) => c.query(`drop database if exists ${TEMPLATE} with (force)`));
  const t0 = now();
  const { stdout } = await run(env.cli, ['migrate', '--connection', npgsql(TEMPLATE)]);
  const migrateMs = now() - t0;
  log(`migrated ${TEMPLATE}: ${stdout.trim().split('\n').pop()}`);
  return { migrate_ms: round(migrateMs, 0) };
}

/** A fresh database for one measurement: a copy of the migrated template with the echo agent. */
export async function freshDb(name) {
  await createDb(name, TEMPLATE);
  await withClient(name, (c) => registerEcho(c));
}

/**
 * Registers echo as the host would (the host registers it again, with its input schema, when it
 * starts): a backlog can then be submitted before any host runs.
 */
export async function registerEcho(client) {
  await client.query(`select agent_runtime.register_agent('echo', 'Returns its input unchanged', '{}'::jsonb)`);
}

// --- backlogs ----------------------------------------------------------------------------------

/** One call of the bulk submit for $1 echo tasks with input $2: what a client does to enqueue a burst. */
export const SUBMIT_TASKS = `
select count(*)::int as n
from agent_runtime.submit_tasks(array['echo'], array_fill($2::jsonb, array[$1::int]))`;

/**
 * Submits `count` ready echo tasks with the given input through submit_tasks, in calls of `chunk`
 * tasks over two connections (the machine's two cores). Returns { method, ms, tasks_per_s }.
 */
export async function fillBacklog(database, count, input = {}, { chunk = 10_000, connections = 2 } = {}) {
  const t0 = now();
  let left = count;
  const take = () => {
    const n = Math.min(chunk, left);
    left -= n;
    return n;
  };
  await Promise.all(Array.from({ length: connections }, async () => {
    const c = await connect(database);
    try {
      for (let n = take(); n > 0; n = take()) {
        await c.query(SUBMIT_TASKS, [n, JSON.stringify(input)]);
      }
    } finally {
      await c.end();
    }
  }));
  const ms = now() - t0;
  const n = await withClient(database, (c) => scalar(c,
    `select count(*)::int from agent_runtime.steps where status = 'ready' and agent = 'echo'`));
  if (n < count) {
    throw new Error(`submitted ${count} tasks but ${n} ready steps exist`);
  }
  log(`backlog of ${count} in ${database}: ${round(ms / 1000)} s (submit_tasks, ${round(count / ms * 1000, 0)}/s)`);
  return { method: 'submit_tasks', ms: round(ms, 0), tasks_per_s: round(count / ms * 1000, 0) };
}

// --- the worker round of the SQL-only sections ---------------------------------------------------

/** A worker's two transactions: claim up to B echo steps, then complete what it took. */
export const CLAIM = `select step_id, lease_token from agent_runtime.claim_step($1, array['echo'], $2)`;
export const COMPLETE = `
select count(*) filter (where outcome = 'completed')::int as done
from agent_runtime.complete_steps($1::bigint[], $2::uuid[], array_fill('{}'::jsonb, array[cardinality($1::bigint[])]))`;

/** One round of CLAIM and COMPLETE on a connection; returns how many steps it completed (0: none was ready). */
export async function claimRound(client, worker, batch) {
  const claimed = (await client.query(CLAIM, [worker, batch])).rows;
  if (claimed.length === 0) {
    return 0;
  }
  const done = (await client.query(COMPLETE, [claimed.map((r) => r.step_id), claimed.map((r) => r.lease_token)])).rows[0].done;
  if (done !== claimed.length) {
    throw new Error(`complete_steps completed ${done} of ${claimed.length} claimed steps`);
  }
  return done;
}

// --- hosts -------------------------------------------------------------------------------------

/**
 * Starts `agent-runtime run` serving echo, with the given slots and extra configuration
 * (AGENT_RUNTIME_* environment variables, e.g. { Worker__LeaseSeconds: 5 }). Resolves once the
 * host logged that it serves (registered, listening, claiming).
 */
export async function startHost(database, { name, workerId, concurrency = 256, config = {} } = {}) {
  const extraEnv = {};
  for (const [key, value] of Object.entries(config)) {
    extraEnv[`AGENT_RUNTIME_${key}`] = String(value);
  }
  let onReady;
  const ready = new Promise((resolve) => { onReady = resolve; });
  const t0 = now();
  const host = spawnLogged(name ?? `host-${workerId}`, env.cli,
    ['run', '--connection', npgsql(database), '--worker-id', workerId, '--concurrency', String(concurrency),
      '--agent', 'echo'],
    { env: extraEnv, onLine: (line) => { if (/ serves /.test(line)) onReady(); } });
  const outcome = await Promise.race([
    ready.then(() => 'ready'),
    host.exited.then((code) => `exited (${code})`),
    sleep(60_000).then(() => 'timeout'),
  ]);
  if (outcome !== 'ready') {
    try { process.kill(host.pid, 'SIGKILL'); } catch { /* gone */ }
    throw new Error(`agent-runtime run ${outcome} before serving; log: ${host.logFile}`);
  }
  return {
    ...host,
    workerId,
    startup_ms: round(now() - t0, 0),
    memory: () => memoryOf(host.pid),
    async stop() {
      try { process.kill(host.pid, 'SIGTERM'); } catch { return; }
      const done = await Promise.race([host.exited, sleep(60_000).then(() => 'timeout')]);
      if (done === 'timeout') {
        process.kill(host.pid, 'SIGKILL');
        await host.exited;
      }
    },
    async kill() {
      try { process.kill(host.pid, 'SIGKILL'); } catch { /* gone */ }
      await host.exited;
    },
  };
}

/** Tasks of the database by status, e.g. { completed: 40000 }. */
export async function taskStatusCounts(client) {
  const r = await client.query(`select status, count(*)::int as n from agent_runtime.tasks group by status`);
  return Object.fromEntries(r.rows.map((row) => [row.status, row.n]));
}

/** A task's tag on agent_runtime_task_status (docs/sql-api.md, "NOTIFY channels"). */
export function taskTag(taskId) {
  return createHash('sha256').update(taskId).digest('hex').slice(0, 16);
}

/**
 * Follows agent_runtime_task_status on `listener`: the payload is only a task's tag, one per
 * status change in event order, so for a task that runs once and is submitted after listening
 * starts the 1st is "submitted", the 2nd "working" and the 3rd "completed" (for one submitted
 * before: "working", then "completed"). Calls onNotice(tag, ordinal, time) for each; reads nothing.
 */
export async function followStatusNotices(listener, onNotice) {
  const counts = new Map();
  listener.on('notification', (msg) => {
    if (msg.channel !== 'agent_runtime_task_status') return;
    const t = now();
    const ordinal = (counts.get(msg.payload) ?? 0) + 1;
    counts.set(msg.payload, ordinal);
    onNotice(msg.payload, ordinal, t);
  });
  await listener.query('listen agent_runtime_task_status');
}

