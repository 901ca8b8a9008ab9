// AgentRuntime's side of the bench: migrating, checking the SQL API it drives, filling backlogs,
// and running `agent-runtime run` hosts as child processes.
//
// The SQL API may change while this harness lives (issue 8 rewrites the hot path), so the
// functions it calls are looked up in pg_proc at run time and a missing one stops the run with
// its name. claim_step and complete_steps are called by position: their names and argument order
// are the stable part of the API.
import { createHash } from 'node:crypto';
import {
  env, log, run, spawnLogged, npgsql, connect, withClient, createDb, scalar, now, sleep, memoryOf, round,
} from './lib.mjs';

export const TEMPLATE = 'bench_ar_template';

/** Signatures of the agent_runtime functions, by name (overloads joined with " | "). */
export async function apiSignatures(client) {
  const r = await client.query(`
    select p.proname as name, string_agg(pg_get_function_identity_arguments(p.oid), ' | ') as args
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'agent_runtime'
    group by p.proname`);
  return Object.fromEntries(r.rows.map((row) => [row.name, row.args]));
}

const REQUIRED = ['register_agent', 'submit_task', 'claim_step', 'complete_steps'];

/** Migrates the template database every section copies, and checks the API the bench uses. */
export async function prepareTemplate() {
  await withClient('postgres', (c) => c.query(`drop database if exists ${TEMPLATE} with (force)`));
  const t0 = now();
  const { stdout } = await run(env.cli, ['migrate', '--connection', npgsql(TEMPLATE)]);
  const migrateMs = now() - t0;
  log(`migrated ${TEMPLATE}: ${stdout.trim().split('\n').pop()}`);
  return withClient(TEMPLATE, async (c) => {
    const api = await apiSignatures(c);
    const missing = REQUIRED.filter((f) => !(f in api));
    if (missing.length > 0) {
      throw new Error(`the migrated schema lacks agent_runtime.${missing.join(', agent_runtime.')}: ` +
        'the bench drives these functions (see bench/ours.mjs)');
    }
    const claimArgs = api.claim_step.split(', ').map((a) => a.split(' ')[0]);
    if (claimArgs[0] !== 'worker_id' || claimArgs[1] !== 'agents' || claimArgs[2] !== 'max_steps') {
      throw new Error(`claim_step(${api.claim_step}) no longer starts with (worker_id, agents, max_steps)`);
    }
    const completeArgs = api.complete_steps.split(', ').map((a) => a.split(' ')[0]);
    if (completeArgs[0] !== 'step_ids' || completeArgs[1] !== 'lease_tokens' || completeArgs[2] !== 'outputs') {
      throw new Error(`complete_steps(${api.complete_steps}) no longer starts with (step_ids, lease_tokens, outputs)`);
    }
    return { migrate_ms: round(migrateMs, 0), submit_tasks: api.submit_tasks ?? null, api };
  });
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

// The rows submit_task writes for one task (session, task, the input as the session's first
// event, a ready step, the task.submitted event), set-based: about 5x faster than submit_task in a
// loop, which would take most of the run at a million tasks. It mirrors db/functions/tasks/
// submit_task.sql (time-ordered ids and the app as fair_key, as _submit_tasks makes them); when
// the tables change under it, the fill falls back to submit_task itself, and the results say which
// method was used.
const DIRECT_FILL = `
with s as (
  insert into agent_runtime.sessions (id, app_name, user_id, last_sequence)
  select agent_runtime._uuid_v7()::text, 'echo', 'anonymous', 1 from generate_series(1, $1::int)
  returning id
), t as (
  insert into agent_runtime.tasks (id, target, session_id, input, max_attempts, app_name, user_id)
  select agent_runtime._uuid_v7(), 'echo', s.id, $2::jsonb, 3, 'echo', 'anonymous' from s
  returning id, session_id
), m as (
  select jsonb_build_object('author', 'user', 'role', 'user', 'content', jsonb_build_object('role', 'user',
           'parts', jsonb_build_array(jsonb_build_object('kind', 'data', 'data', $2::jsonb)))) as ev
), se as (
  insert into agent_runtime.session_events (session_id, sequence, author, task_id, content, event)
  select t.session_id, 1, 'user', t.id, m.ev -> 'content', m.ev from t, m
), st as (
  insert into agent_runtime.steps (task_id, key, agent, status, max_attempts, backoff_seconds, max_backoff_seconds, fair_key)
  select t.id, 'echo', 'echo', 'ready', 3, 2, 600, 'echo' from t
), ev as (
  insert into agent_runtime.events (type, task_id, data)
  select 'task.submitted', t.id, jsonb_build_object('target', 'echo', 'queue', 'default', 'priority', 0,
         'run_at', now(), 'session_id', t.session_id, 'sequence', 1, 'new_session', true)
  from t
)
select count(*)::int as n from t`;

const API_FILL = `
select count(*)::int as n
from (select agent_runtime.submit_task('echo', $2::jsonb) from generate_series(1, $1::int)) s`;

let directFillWorks = true;

/**
 * Submits `count` ready echo tasks with the given input, in transactions of `chunk` tasks over
 * two connections (the machine's two cores). Returns { method, ms, tasks_per_s }.
 */
export async function fillBacklog(database, count, input = {}, { chunk = 25_000, connections = 2 } = {}) {
  const t0 = now();
  let method = directFillWorks ? 'direct-insert' : 'submit_task';
  if (directFillWorks) {
    try {
      await fillWith(database, DIRECT_FILL, count, input, chunk, connections);
    } catch (err) {
      directFillWorks = false;
      method = 'submit_task';
      log(`the set-based fill failed (${err.message.split('\n')[0]}); filling with submit_task from now on`);
      await withClient(database, (c) => c.query(`truncate agent_runtime.sessions cascade`).catch(() => {}));
      await fillWith(database, API_FILL, count, input, Math.min(chunk, 5000), connections);
    }
  } else {
    await fillWith(database, API_FILL, count, input, Math.min(chunk, 5000), connections);
  }
  const ms = now() - t0;
  const n = await withClient(database, (c) => scalar(c,
    `select count(*)::int from agent_runtime.steps where status = 'ready' and agent = 'echo'`));
  if (n < count) {
    throw new Error(`filled ${count} tasks but ${n} ready steps exist`);
  }
  log(`backlog of ${count} in ${database}: ${round(ms / 1000)} s (${method}, ${round(count / ms * 1000, 0)}/s)`);
  return { method, ms: round(ms, 0), tasks_per_s: round(count / ms * 1000, 0) };
}

async function fillWith(database, sql, count, input, chunk, connections) {
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
        await c.query(sql, [n, JSON.stringify(input)]);
      }
    } finally {
      await c.end();
    }
  }));
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

