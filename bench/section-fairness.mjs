// Section "fairness": one tenant with a large backlog submitted first, three small tenants after
// it (one of them weighted 3 with set_fairness_weight). A worker loop of claim_step + complete_steps
// drains it all. Under FIFO (every peer here: graphile-worker, pg-boss) the small tenants would
// wait behind the whole large backlog; with fair share they should be served from the first
// claim, in proportion to their weights, and be done after about (small tenants' work) x (total
// weight / their weight) claims.
//
// The claim order is read afterwards from the event log (step.running ids, in commit order of the
// claims); the same loop on a one-tenant backlog of the same size gives the cost of fair share in
// throughput.
import { withClient, connect, dropDb, now, round, log, settle, cpuMeter, scalar } from './lib.mjs';
import { freshDb, claimRound } from './ours.mjs';

const BATCH = 50;
const CONNECTIONS = 2;
const SUBMIT = `select count(*)::int as n from (
  select agent_runtime.submit_task('echo', '{}'::jsonb, null, jsonb_build_object('app_name', $1::text))
  from generate_series(1, $2::int)) s`;

export async function fairnessSection(ctx) {
  const big = ctx.quick ? 5_000 : 20_000;
  const small = ctx.quick ? 100 : 400;
  const tenants = [
    { app: 'bench-big', tasks: big, weight: 1 },
    { app: 'bench-small-a', tasks: small, weight: 1 },
    { app: 'bench-small-b', tasks: small, weight: 1 },
    { app: 'bench-small-c', tasks: small, weight: 3 },
  ];
  const fair = await drainOnce(ctx, 'bench_fairness', tenants, true);
  const single = await drainOnce(ctx, 'bench_fairness_one',
    [{ app: 'bench-big', tasks: big + 3 * small, weight: 1 }], false);
  const totalWeight = tenants.reduce((a, t) => a + t.weight, 0);
  // while every tenant still has work, each should get weight / total of the claims
  const contested = fair.firstExhausted;
  const rows = tenants.map((t, i) => {
    const ranks = fair.order.map((tenant, rank) => (tenant === i ? rank + 1 : 0)).filter((r) => r > 0);
    const inContested = ranks.filter((r) => r <= contested).length;
    const fifoLast = tenants.slice(0, i + 1).reduce((a, x) => a + x.tasks, 0);
    return {
      tenant: t.app,
      tasks: t.tasks,
      weight: t.weight,
      share_expected_percent: round(100 * t.weight / totalWeight, 1),
      share_percent: round(100 * inContested / contested, 1),
      first_claim: ranks[0],
      last_claim: ranks[ranks.length - 1],
      last_claim_fifo: fifoLast,
    };
  });
  const out = {
    batch: BATCH,
    connections: CONNECTIONS,
    claims_while_all_had_work: contested,
    tenants: rows,
    tasks_per_s_fair: fair.tasksPerS,
    tasks_per_s_one_tenant: single.tasksPerS,
    cpu_fair: fair.cpu,
    cpu_one_tenant: single.cpu,
  };
  log(`fairness: shares ${rows.map((r) => `${r.tenant} ${r.share_percent}% (w ${r.weight})`).join(', ')}; ` +
    `${out.tasks_per_s_fair}/s fair vs ${out.tasks_per_s_one_tenant}/s one tenant`);
  return out;
}

async function drainOnce(ctx, db, tenants, weighted) {
  await freshDb(db);
  try {
    await withClient(db, async (c) => {
      for (const t of tenants) {
        if (weighted && t.weight !== 1) {
          await c.query('select agent_runtime.set_fairness_weight($1, $2)', [t.app, t.weight]);
        }
        for (let left = t.tasks; left > 0; left -= 5_000) {
          await c.query(SUBMIT, [t.app, Math.min(5_000, left)]);
        }
      }
      await c.query('vacuum analyze');
    });
    const total = tenants.reduce((a, t) => a + t.tasks, 0);
    await settle(`fairness ${db}`);
    const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => connect(db)));
    const meter = cpuMeter();
    const t0 = now();
    let done = 0;
    try {
      await Promise.all(clients.map(async (c, i) => {
        for (let n = await claimRound(c, `bench-fair-${i}`, BATCH); n > 0; n = await claimRound(c, `bench-fair-${i}`, BATCH)) {
          done += n;
        }
      }));
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
    const seconds = (now() - t0) / 1000;
    const cpu = meter.stop();
    if (done !== total) throw new Error(`drained ${done} of ${total} tasks`);
    const order = await withClient(db, async (c) => {
      const index = new Map(tenants.map((t, i) => [t.app, i]));
      const r = await c.query(`select t.app_name from agent_runtime.events e
        join agent_runtime.tasks t on t.id = e.task_id
        where e.type = 'step.running' order by e.id`);
      return r.rows.map((x) => index.get(x.app_name));
    });
    // the claim at which the first tenant ran out of work: up to there all of them competed
    const seen = tenants.map(() => 0);
    let firstExhausted = order.length;
    for (let k = 0; k < order.length; k++) {
      seen[order[k]]++;
      if (seen[order[k]] === tenants[order[k]].tasks) {
        firstExhausted = k + 1;
        break;
      }
    }
    const stuck = await withClient(db, (c) => scalar(c, `select count(*)::int from agent_runtime.tasks where status <> 'completed'`));
    if (stuck !== 0) throw new Error(`${stuck} tasks not completed`);
    return { order, firstExhausted, tasksPerS: round(total / seconds, 0), cpu };
  } finally {
    await dropDb(db);
  }
}
