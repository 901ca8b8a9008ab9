// Section "recovery": a host dies (SIGKILL, no drain, no hand-back) with slow steps running; a
// second host starts right away. How long until the dead host's steps run again, and until every
// task completed?
//
// Host A (Worker:LeaseSeconds=5, so heartbeats every ~1.7 s) claims K echo tasks that take
// `delay_ms` each; once all K are running (task status NOTIFY "working") and a heartbeat had time
// to happen, A is killed with SIGKILL and host B (same settings) is started. Nothing tells B about
// the dead leases: it finds them when a claim (NOTIFY-woken or its 2 s poll) settles expired
// leases. All times are read from the database clock (the kill is stamped with clock_timestamp()
// right after the signal), from the event log: step.running events written by B.
import { connect, withClient, dropDb, now, sleep, round, log, scalar, settle, cpuMeter } from './lib.mjs';
import { freshDb, followStatusNotices, startHost, taskStatusCounts } from './ours.mjs';
import { hostConfigFromEnv } from './section-host.mjs';

const LEASE_SECONDS = 5;
const DELAY_MS = 3000;

export async function recoverySection(ctx) {
  const k = ctx.recoveryTasks;
  const db = 'bench_recovery';
  await freshDb(db);
  await settle('recovery');
  const meter = cpuMeter();
  const config = { ...hostConfigFromEnv(), Worker__LeaseSeconds: LEASE_SECONDS };
  const listener = await connect(db);
  // Until the kill every task runs once: its 2nd notice is "working". After it, tasks re-run, so
  // completions are counted from the table, read when a notice comes (at most every 20 ms).
  let working = 0;
  let notices = 0;
  await followStatusNotices(listener, (_tag, ordinal) => {
    notices++;
    if (ordinal === 2) working++;
  });
  const completed = { size: 0, readAt: -1 };
  const countCompleted = async () => {
    if (completed.readAt !== notices) {
      completed.readAt = notices;
      completed.size = await withClient(db, (c) => scalar(c, `select count(*)::int from agent_runtime.tasks where status = 'completed'`));
    }
    return completed.size;
  };
  const a = await startHost(db, { name: 'host-recovery-a', workerId: 'bench-recovery-a', concurrency: 256, config });
  let b = null;
  try {
    await withClient(db, (c) => c.query(
      `select agent_runtime.submit_task('echo', $1::jsonb) from generate_series(1, $2::int)`,
      [JSON.stringify({ delay_ms: DELAY_MS }), k]));
    const deadline = now() + 30_000;
    while (working < k && now() < deadline) {
      await sleep(10);
    }
    if (working < k) {
      throw new Error(`only ${working} of ${k} tasks started on host A`);
    }
    await sleep(Math.min(2000, DELAY_MS / 2));
    const heldByA = await withClient(db, (c) => scalar(c,
      `select count(*)::int from agent_runtime.steps where status = 'running' and leased_by = 'bench-recovery-a'`));
    process.kill(a.pid, 'SIGKILL');
    const killedAt = await withClient(db, (c) => scalar(c, 'select clock_timestamp() as t'));
    await a.exited;
    const completedBeforeKill = await countCompleted();
    b = await startHost(db, { name: 'host-recovery-b', workerId: 'bench-recovery-b', concurrency: 256, config });
    const bReadyAt = await withClient(db, (c) => scalar(c, 'select clock_timestamp() as t'));
    const waitUntil = now() + (LEASE_SECONDS * 1000 + DELAY_MS) * 4 + 30_000;
    while (await countCompleted() < k && now() < waitUntil) {
      await sleep(20);
    }
    const result = await withClient(db, async (c) => {
      const r = await c.query(`
        select count(*)::int as reruns,
               extract(epoch from min(e.created_at) - $1::timestamptz) * 1000 as first_rerun_ms,
               extract(epoch from max(e.created_at) - $1::timestamptz) * 1000 as last_rerun_ms
        from agent_runtime.events e
        where e.type = 'step.running' and e.worker_id = 'bench-recovery-b'`, [killedAt]);
      const done = await c.query(`
        select extract(epoch from max(t.completed_at) - $1::timestamptz) * 1000 as all_completed_ms
        from agent_runtime.tasks t`, [killedAt]);
      const expired = await scalar(c, `select count(*)::int from agent_runtime.events
        where type = 'step.ready' and data ->> 'reason' = 'lease_expired'`);
      return { ...r.rows[0], ...done.rows[0], lease_expired_events: expired, statuses: await taskStatusCounts(c) };
    });
    if (result.statuses.completed !== k) {
      throw new Error(`after the kill, ${JSON.stringify(result.statuses)} of ${k} tasks`);
    }
    const out = {
      tasks: k,
      delay_ms: DELAY_MS,
      lease_seconds: LEASE_SECONDS,
      poll_interval: 'default (2 s)',
      held_by_killed_host: heldByA,
      completed_before_kill: completedBeforeKill,
      second_host_ready_after_kill_ms: round((new Date(bReadyAt) - new Date(killedAt)), 0),
      first_rerun_after_kill_ms: round(Number(result.first_rerun_ms), 0),
      all_rerun_after_kill_ms: round(Number(result.last_rerun_ms), 0),
      all_completed_after_kill_ms: round(Number(result.all_completed_ms), 0),
      reruns_by_second_host: result.reruns,
      lease_expired_events: result.lease_expired_events,
      statuses: result.statuses,
      cpu: meter.stop(),
    };
    log(`recovery: first re-run ${out.first_rerun_after_kill_ms} ms after the kill, all re-run ${out.all_rerun_after_kill_ms} ms, ` +
      `all completed ${out.all_completed_after_kill_ms} ms`);
    return out;
  } finally {
    await listener.end().catch(() => {});
    await a.kill().catch(() => {});
    if (b) {
      await b.stop();
    }
    await dropDb(db);
  }
}
