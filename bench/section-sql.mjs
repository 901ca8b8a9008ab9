// Section "sql": the database's own limit, without the host. N connections each loop
//   claim_step(worker, array['echo'], B)  then  complete_steps(ids, tokens, outputs)
// (two transactions, as a worker does), for every N in (2, 4, 16) and B in (50, 250, 500), each
// combination on a fresh database with a backlog large enough for several rounds per connection.
// Each connection first does one untimed round (connection warm-up, plan caches); the window then
// runs until the time is up or a claim comes back short (the backlog ran dry), and
// tasks/s = steps completed in the window / its length. The mean time of each call is kept too:
// where the time goes, claim or complete.
import { withClient, connect, dropDb, now, round, log, settle, cpuMeter } from './lib.mjs';
import { freshDb, fillBacklog, taskStatusCounts, CLAIM, COMPLETE } from './ours.mjs';

export async function sqlSection(ctx) {
  const rows = [];
  for (const connections of ctx.sqlConnections) {
    for (const batch of ctx.sqlBatches) {
      rows.push(await measure(ctx, connections, batch));
    }
  }
  return { seconds_per_combination: ctx.sqlSeconds, statements: { claim: CLAIM, complete: COMPLETE.trim() }, rows };
}

async function measure(ctx, connections, batch) {
  const db = 'bench_sql';
  const minimum = ctx.quick ? 5_000 : 60_000;
  const backlog = Math.max(minimum, (ctx.quick ? 4 : 8) * connections * batch);
  await freshDb(db);
  const fill = await fillBacklog(db, backlog);
  await withClient(db, (c) => c.query('vacuum analyze'));
  await settle(`sql ${connections} x ${batch}`);
  const clients = await Promise.all(Array.from({ length: connections }, () => connect(db)));
  let stop = false;
  let stopReason = null;
  const round1 = async (c, i) => {
    const t0 = now();
    const claimed = (await c.query(CLAIM, [`bench-sql-${i}`, batch])).rows;
    const t1 = now();
    let done = 0;
    if (claimed.length > 0) {
      done = (await c.query(COMPLETE, [claimed.map((r) => r.step_id), claimed.map((r) => r.lease_token)])).rows[0].done;
      if (done !== claimed.length) {
        throw new Error(`complete_steps completed ${done} of ${claimed.length} claimed steps`);
      }
    }
    return { claimed: claimed.length, done, claimMs: t1 - t0, completeMs: now() - t1 };
  };
  try {
    // untimed warm-up round on every connection
    const warm = await Promise.all(clients.map((c, i) => round1(c, i)));
    const warmed = warm.reduce((a, r) => a + r.done, 0);
    const deadline = ctx.sqlSeconds * 1000;
    const meter = cpuMeter();
    const t0 = now();
    const perConnection = await Promise.all(clients.map(async (c, i) => {
      let done = 0;
      let rounds = 0;
      let claimMs = 0;
      let completeMs = 0;
      while (!stop) {
        const r = await round1(c, i);
        rounds++;
        done += r.done;
        claimMs += r.claimMs;
        completeMs += r.completeMs;
        if (r.claimed < batch && !stop) {
          stop = true;
          stopReason = 'backlog ran dry';
        }
        if (now() - t0 >= deadline && !stop) {
          stop = true;
          stopReason = 'time';
        }
      }
      return { done, rounds, claimMs, completeMs };
    }));
    const windowMs = now() - t0;
    const cpu = meter.stop();
    const done = perConnection.reduce((a, r) => a + r.done, 0);
    const rounds = perConnection.reduce((a, r) => a + r.rounds, 0);
    const statuses = await withClient(db, (c) => taskStatusCounts(c));
    if ((statuses.completed ?? 0) !== done + warmed) {
      throw new Error(`counted ${done + warmed} completions, the database has ${statuses.completed}`);
    }
    const row = {
      connections,
      batch,
      backlog,
      tasks_per_s: round((done / windowMs) * 1000, 0),
      completed: done,
      window_ms: round(windowMs, 0),
      rounds,
      ended_by: stopReason,
      mean_claim_ms: round(perConnection.reduce((a, r) => a + r.claimMs, 0) / rounds, 2),
      mean_complete_ms: round(perConnection.reduce((a, r) => a + r.completeMs, 0) / rounds, 2),
      fill_method: fill.method,
      cpu,
    };
    log(`sql ${connections} x ${batch}: ${row.tasks_per_s} tasks/s (claim ${row.mean_claim_ms} ms, complete ${row.mean_complete_ms} ms, ${rounds} rounds, ${stopReason})`);
    return row;
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
    await dropDb(db);
  }
}
