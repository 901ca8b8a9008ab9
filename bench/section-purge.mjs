// Section "purge": retention on a database holding ~1M events, in batches that never block
// claims, measured while claims run.
//
// Finished tasks are made by the real path (a backlog drained with claim_step + complete_steps)
// until the event log holds the target; a ready backlog is added before each window. Then one
// connection claims and completes (claim_step(50) + complete_steps) for a window without purging,
// and for a second window while another connection calls purge_tasks(interval '0', null, 1000)
// in a loop. Compared: the claim loop's per-round latency (p50 / p99 / max) and rate with and
// without the purge running, and the purge's own rate. The machine has two cores: the two
// connections share them, so a slower claim under purge is CPU shared, not a lock; a lock
// wait would show as a max latency near the purge call's duration.
import { withClient, connect, dropDb, now, round, log, settle, cpuMeter, scalar, summarize } from './lib.mjs';
import { freshDb, fillBacklog, claimRound } from './ours.mjs';

const PURGE = `select agent_runtime.purge_tasks(interval '0', null, 1000) as n`;

export async function purgeSection(ctx) {
  const db = 'bench_purge';
  const targetEvents = ctx.quick ? 100_000 : 1_000_000;
  const windowMs = (ctx.quick ? 5 : 15) * 1000;
  await freshDb(db);
  try {
    // finished tasks through the real path, 50k at a time, until the log holds the target
    const t0 = now();
    let finished = 0;
    let events = 0;
    while (events < targetEvents) {
      await fillBacklog(db, 50_000);
      finished += await drain(db, 500);
      events = await withClient(db, (c) => scalar(c, 'select count(*)::int from agent_runtime.events'));
    }
    const fillSeconds = round((now() - t0) / 1000, 0);
    // each window claims from a backlog of its own, larger than a window can drain
    const claimBacklog = ctx.quick ? 40_000 : 150_000;
    await fillBacklog(db, claimBacklog);
    const sizes = await withClient(db, async (c) => {
      await c.query('vacuum analyze');
      return (await c.query(`select
        (select count(*)::int from agent_runtime.events) as events,
        (select count(*)::int from agent_runtime.tasks where status = 'completed') as finished_tasks,
        pg_total_relation_size('agent_runtime.events') / 1048576 as events_mib,
        pg_database_size(current_database()) / 1048576 as database_mib`)).rows[0];
    });
    log(`purge: ${sizes.events} events, ${sizes.finished_tasks} finished tasks, ${sizes.database_mib} MiB (made in ${fillSeconds} s)`);

    await settle('purge baseline');
    const baseline = await claimWindow(db, windowMs);
    await fillBacklog(db, claimBacklog);
    await withClient(db, (c) => c.query('vacuum analyze agent_runtime.steps'));
    await settle('purge under claims');
    const purger = await connect(db);
    let purged = 0;
    let purgeCalls = [];
    let stop = false;
    const purging = (async () => {
      while (!stop) {
        const t = now();
        const n = (await purger.query(PURGE)).rows[0].n;
        purgeCalls.push(now() - t);
        purged += n;
        if (n === 0) return;
      }
    })();
    let during;
    try {
      during = await claimWindow(db, windowMs);
    } finally {
      // the purge loop ends before anything else happens to the database (a failed window's
      // clean-up drops it), and its own failure is reported when the window had none
      stop = true;
      const failed = await purging.then(() => null, (err) => err);
      if (failed && during) throw failed;
    }
    const purgedInWindow = purged;
    const callsInWindow = purgeCalls;
    // the rest of the purge alone: its rate without claims
    purgeCalls = [];
    const t1 = now();
    for (;;) {
      const t = now();
      const n = (await purger.query(PURGE)).rows[0].n;
      purgeCalls.push(now() - t);
      purged += n;
      if (n === 0) break;
    }
    const aloneSeconds = (now() - t1) / 1000;
    await purger.end();
    const after = await withClient(db, async (c) => (await c.query(`select
      (select count(*)::int from agent_runtime.events e
        where not exists (select from agent_runtime.tasks t where t.id = e.task_id) and e.task_id is not null) as orphaned_events,
      (select count(*)::int from agent_runtime.check_invariants()) as invariant_violations,
      (select count(*)::int from agent_runtime.tasks where status = 'completed') as completed_left`)).rows[0]);
    if (after.orphaned_events !== 0 || after.invariant_violations !== 0) {
      throw new Error(`after the purge: ${JSON.stringify(after)}`);
    }
    const out = {
      events: sizes.events,
      finished_tasks: sizes.finished_tasks,
      events_mib: Number(sizes.events_mib),
      database_mib: Number(sizes.database_mib),
      made_in_s: fillSeconds,
      finished_through_claims: finished,
      window_s: windowMs / 1000,
      claims_alone: baseline,
      claims_during_purge: during,
      purged_during_window: purgedInWindow,
      purge_tasks_per_s_during_claims: round(purgedInWindow / (windowMs / 1000), 0),
      purge_call_ms_during_claims: summarize(callsInWindow, 1),
      purge_tasks_per_s_alone: aloneSeconds > 0 ? round((purged - purgedInWindow) / aloneSeconds, 0) : null,
      purge_call_ms_alone: summarize(purgeCalls, 1),
      purged_total: purged,
      after,
    };
    log(`purge: claims p99 ${baseline.round_ms.p99} ms alone, ${during.round_ms.p99} ms during purge; ` +
      `purge ${out.purge_tasks_per_s_during_claims} tasks/s beside claims, ${out.purge_tasks_per_s_alone} alone`);
    return out;
  } finally {
    await dropDb(db);
  }
}

/** Claims and completes every ready step with two connections; returns how many. */
async function drain(db, batch) {
  const clients = await Promise.all([connect(db), connect(db)]);
  let done = 0;
  try {
    await Promise.all(clients.map(async (c, i) => {
      for (let n = await claimRound(c, `bench-purge-fill-${i}`, batch); n > 0; n = await claimRound(c, `bench-purge-fill-${i}`, batch)) {
        done += n;
      }
    }));
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
  return done;
}

/** One connection's claim + complete rounds of 50 for windowMs. */
async function claimWindow(db, windowMs) {
  const c = await connect(db);
  const rounds = [];
  let done = 0;
  const meter = cpuMeter();
  const t0 = now();
  try {
    while (now() - t0 < windowMs) {
      const t = now();
      const n = await claimRound(c, 'bench-purge-claims', 50);
      if (n === 0) throw new Error(`the claim backlog ran dry after ${round((now() - t0) / 1000, 1)} s: make it larger`);
      done += n;
      rounds.push(now() - t);
    }
  } finally {
    await c.end();
  }
  return { tasks_per_s: round(done / ((now() - t0) / 1000), 0), round_ms: summarize(rounds, 1), cpu: meter.stop() };
}
