// graphile-worker and pg-boss: their databases, backlogs and worker processes.
//
// Their schemas are installed by their own migrations (graphile-worker's runMigrations, pg-boss's
// start()), each into a database of its own in the same cluster. Backlogs are added with their
// own bulk functions (graphile_worker.add_jobs, boss.insert), which write what their single-job
// forms write.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import pg from 'pg';
import { createDb, pgConfig, withClient, spawnLogged, now, sleep, memoryOf, round, log, scalar } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

export function peerVersions() {
  const version = (pkg) => JSON.parse(readFileSync(path.join(here, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  return { 'graphile-worker': version('graphile-worker'), 'pg-boss': version('pg-boss'), pg: version('pg') };
}

// --- graphile-worker ---------------------------------------------------------------------------

export async function graphileDb(database) {
  await createDb(database);
  const { runMigrations } = await import('graphile-worker');
  const pool = new pg.Pool({ ...pgConfig(database), max: 2 });
  pool.on('error', (err) => console.error(`pool: ${err.message}`));
  pool.on('connect', (client) => client.on('error', (err) => console.error(`pool client: ${err.message}`)));
  try {
    await runMigrations({ pgPool: pool, logger: silentGraphileLogger(await import('graphile-worker')) });
  } finally {
    await pool.end();
  }
}

export function silentGraphileLogger({ Logger }) {
  return new Logger(() => (level, message) => {
    if (level === 'error') {
      console.error(`graphile-worker: ${message}`);
    }
  });
}

const GRAPHILE_BULK = `
select count(*)::int as n from graphile_worker.add_jobs(array(
  select json_populate_record(null::graphile_worker.job_spec, json_build_object('identifier', 'noop', 'payload', '{}'::json))
  from generate_series(1, $1::int)))`;

export async function graphileFill(database, count, chunk = 10_000) {
  const t0 = now();
  await withClient(database, async (c) => {
    for (let left = count; left > 0; left -= chunk) {
      await c.query(GRAPHILE_BULK, [Math.min(chunk, left)]);
    }
  });
  const ms = now() - t0;
  log(`graphile backlog of ${count} in ${database}: ${round(ms / 1000)} s`);
  return { method: 'graphile_worker.add_jobs', ms: round(ms, 0) };
}

/** Jobs not yet completed: graphile-worker deletes a job when it completes. */
export async function graphileRemaining(client) {
  return scalar(client, 'select count(*)::int from graphile_worker._private_jobs');
}

/** Jobs that failed an attempt (they stay, with last_error, until their retry). */
export async function graphileFailed(client) {
  return scalar(client, 'select count(*)::int from graphile_worker._private_jobs where last_error is not null');
}

// --- pg-boss -----------------------------------------------------------------------------------

export const PGBOSS_QUEUE = 'noop';

export async function pgbossDb(database) {
  await createDb(database);
  const boss = await startBoss(database);
  try {
    await boss.createQueue(PGBOSS_QUEUE);
  } finally {
    await boss.stop({ graceful: false, wait: true });
  }
}

async function startBoss(database, options = {}) {
  const { default: PgBoss } = await import('pg-boss');
  const c = pgConfig(database);
  // No maintenance or cron loop in the process that only fills the queue.
  const boss = new PgBoss({ host: c.host, port: c.port, user: c.user, database: c.database, max: 2,
    supervise: false, schedule: false, ...options });
  boss.on('error', (err) => console.error(`pg-boss: ${err.message}`));
  await boss.start();
  return boss;
}

export async function pgbossFill(database, count, chunk = 10_000) {
  const t0 = now();
  const boss = await startBoss(database);
  try {
    for (let left = count; left > 0; left -= chunk) {
      const n = Math.min(chunk, left);
      await boss.insert(Array.from({ length: n }, () => ({ name: PGBOSS_QUEUE, data: {} })));
    }
  } finally {
    await boss.stop({ graceful: false, wait: true });
  }
  const ms = now() - t0;
  log(`pg-boss backlog of ${count} in ${database}: ${round(ms / 1000)} s`);
  return { method: 'boss.insert', ms: round(ms, 0) };
}

export async function pgbossRemaining(client) {
  return scalar(client,
    `select count(*)::int from pgboss.job where name = $1 and state in ('created', 'retry', 'active')`, [PGBOSS_QUEUE]);
}

export async function pgbossStates(client) {
  const r = await client.query(`select state::text, count(*)::int as n from pgboss.job where name = $1 group by state`,
    [PGBOSS_QUEUE]);
  return Object.fromEntries(r.rows.map((row) => [row.state, row.n]));
}

// --- worker processes --------------------------------------------------------------------------

/**
 * Starts peer-worker.mjs with this configuration; resolves once it is ready. `counter` (see
 * completionCounter) follows how many jobs its handler has seen.
 */
export async function startPeer(name, config, counter = null) {
  const t0 = now();
  const child = spawnLogged(name, process.execPath, [path.join(here, 'peer-worker.mjs'), JSON.stringify(config)],
    { ipc: true });
  const ready = new Promise((resolve) => child.proc.on('message', (m) => { if (m?.ready) resolve('ready'); }));
  if (counter) {
    child.proc.on('message', (m) => { if (m?.handled != null && !m.stopped) counter.set(m.handled); });
  }
  const outcome = await Promise.race([ready, child.exited.then((c) => `exited (${c})`),
    sleep(60_000).then(() => 'timeout')]);
  if (outcome !== 'ready') {
    try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
    throw new Error(`${name} ${outcome} before it was ready; log: ${child.logFile}`);
  }
  return {
    ...child,
    startup_ms: round(now() - t0, 0),
    memory: () => memoryOf(child.pid),
    async stop() {
      const stopped = new Promise((resolve) => child.proc.on('message', (m) => { if (m?.stopped) resolve(m); }));
      child.proc.send({ stop: true });
      const m = await Promise.race([stopped, sleep(60_000).then(() => null)]);
      if (!m) {
        process.kill(child.pid, 'SIGKILL');
      }
      await child.exited;
      return m?.handled ?? null;
    },
  };
}
