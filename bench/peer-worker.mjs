// A graphile-worker or pg-boss worker in a process of its own, as `agent-runtime run` is one:
// the runner measures all three from the outside, the same way, and reads each one's memory.
//
//   node peer-worker.mjs '<json config>'
//   config: { system: "graphile" | "pgboss", database, ...options of that system }
//
// The task handler does nothing (no-op) but count. The process tells the runner over IPC when it
// is ready ({ ready: true }), how many jobs its handler saw so far ({ handled }: at once for the
// first, then at most every 20 ms, so that reporting costs the worker next to nothing), and on
// { stop: true } stops its worker gracefully and answers { stopped: true, handled }.
import { pgConfig } from './lib.mjs';

const config = JSON.parse(process.argv[2]);
let handled = 0;
let reported = 0;
function report() {
  if (handled !== reported) {
    reported = handled;
    process.send({ handled });
  }
}
function seen(n) {
  handled += n;
  if (reported === 0) report();
}

// graphile-worker gets a pg.Pool over the Unix socket (its default pool size, 10, unless set).
async function startGraphile() {
  const worker = await import('graphile-worker');
  const pg = (await import('pg')).default;
  const pool = new pg.Pool({ ...pgConfig(config.database), max: config.maxPoolSize ?? 10 });
  pool.on('error', (err) => console.error(`pool: ${err.message}`));
  pool.on('connect', (client) => client.on('error', (err) => console.error(`pool client: ${err.message}`)));
  const runner = await worker.run({
    pgPool: pool,
    concurrency: config.concurrency,
    noHandleSignals: true,
    ...(config.pollInterval ? { pollInterval: config.pollInterval } : {}),
    taskList: {
      noop: async () => {
        seen(1);
      },
    },
    preset: { worker: config.worker ?? {} },
    logger: quietGraphileLogger(worker),
  });
  return async () => {
    await runner.stop();
    await pool.end();
  };
}

function quietGraphileLogger({ Logger }) {
  return new Logger(() => (level, message) => {
    if (level === 'error' || level === 'warning') {
      console.error(`graphile-worker ${level}: ${message}`);
    }
  });
}

async function startPgBoss() {
  const { default: PgBoss } = await import('pg-boss');
  const c = pgConfig(config.database);
  const boss = new PgBoss({ host: c.host, port: c.port, user: c.user, database: c.database, ...config.constructor });
  boss.on('error', (err) => console.error(`pg-boss error: ${err.message}`));
  await boss.start();
  for (let i = 0; i < config.workers; i++) {
    await boss.work(config.queue, config.work, async (jobs) => {
      seen(jobs.length);
    });
  }
  return async () => {
    await boss.stop({ graceful: true, wait: true, timeout: 30_000 });
  };
}

async function main() {
  const stop = config.system === 'graphile' ? await startGraphile() : await startPgBoss();
  const reporter = setInterval(report, 20);
  process.on('message', async (message) => {
    if (message?.stop) {
      clearInterval(reporter);
      await stop();
      process.send({ stopped: true, handled }, () => process.exit(0));
    }
  });
  process.send({ ready: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
