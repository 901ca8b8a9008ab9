// Section "claim": what one claim costs at a small and a large backlog (default 10k and 1M ready
// steps), right after a bulk submit (the tables were never analyzed) and after ANALYZE.
//
// Each size gets a fresh database whose agent_runtime tables have autovacuum switched off (a
// per-table storage parameter of this scratch database, not a server setting), so that "never
// analyzed" stays true while it is measured. A claim is timed inside a transaction that is rolled
// back, so every repetition sees the same backlog: the median of many repetitions (after two
// untimed ones) is the number. Repetitions stop early when a combination used up its time budget.
// One extra, untimed claim runs with auto_explain (log_nested_statements, log_analyze) reporting
// at NOTICE level to this session, which shows the plans PL/pgSQL really used: the results list
// the scans of each statement, and flag sequential scans of the big tables and sorts of more rows
// than the batch.
import { connect, withClient, dropDb, now, summarize, round, log, scalar, settle, cpuMeter } from './lib.mjs';
import { freshDb, fillBacklog } from './ours.mjs';

const BATCHES = [1, 250];
const BUDGET_MS = 30_000;
const BIG_TABLES = ['steps', 'tasks', 'events', 'sessions', 'session_events'];

export async function claimSection(ctx) {
  const sizes = {};
  for (const size of ctx.claimSizes) {
    const db = `bench_claim`;
    await freshDb(db);
    await withClient(db, async (c) => {
      const tables = await c.query(`select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                                   where n.nspname = 'agent_runtime' and c.relkind in ('r', 'p')`);
      for (const { relname } of tables.rows) {
        await c.query(`alter table agent_runtime.${relname} set (autovacuum_enabled = false)`);
      }
    });
    const fill = await fillBacklog(db, size);
    const phases = {};
    phases.not_analyzed = await measurePhase(ctx, db, size, 'not analyzed');
    const t0 = now();
    await withClient(db, (c) => c.query('analyze'));
    const analyzeMs = round(now() - t0, 0);
    phases.analyzed = await measurePhase(ctx, db, size, 'analyzed');
    sizes[size] = { ready_steps: size, fill, analyze_ms: analyzeMs, phases };
    await dropDb(db);
  }
  // the growth from the smallest to the largest backlog, per phase and batch (the target: at most 1.2x)
  const ordered = [...ctx.claimSizes].sort((a, b) => a - b);
  const small = sizes[ordered[0]];
  const large = sizes[ordered[ordered.length - 1]];
  const ratios = {};
  for (const phase of Object.keys(small.phases)) {
    for (const batch of BATCHES) {
      const a = small.phases[phase].batches[batch]?.p50;
      const b = large.phases[phase].batches[batch]?.p50;
      ratios[`${phase}, claim_step(${batch})`] = a && b ? round(b / a, 2) : null;
    }
  }
  return { batches: BATCHES, repetitions: ctx.claimRepetitions, budget_ms_per_combination: BUDGET_MS, sizes,
    ratio_large_to_small: ratios, sizes_compared: [ordered[0], ordered[ordered.length - 1]] };
}

async function measurePhase(ctx, db, size, phase) {
  await settle(`claim ${size} ${phase}`);
  const meter = cpuMeter();
  const client = await connect(db);
  const out = { batches: {} };
  try {
    out.steps_statistics = await scalar(client,
      `select count(*)::int from pg_stats where schemaname = 'agent_runtime' and tablename = 'steps'`);
    for (const batch of BATCHES) {
      const expected = Math.min(batch, size);
      const timings = [];
      const started = now();
      for (let i = 0; i < ctx.claimRepetitions + 2; i++) {
        await client.query('begin');
        const t0 = now();
        const n = await scalar(client, `select count(*)::int from agent_runtime.claim_step('bench-claim', array['echo'], $1)`, [batch]);
        const ms = now() - t0;
        await client.query('rollback');
        if (n !== expected) {
          throw new Error(`claim_step(${batch}) claimed ${n} of ${size} ready steps, expected ${expected}`);
        }
        if (i >= 2) {
          timings.push(ms);
        }
        if (now() - started > BUDGET_MS && timings.length >= 5) {
          break;
        }
      }
      const plan = await explain(client, batch);
      out.batches[batch] = { ...summarize(timings, 3), samples_ms: timings.map((x) => round(x, 3)), plan };
      log(`claim ${size} ready, ${phase}, claim_step(${batch}): median ${out.batches[batch].p50} ms ` +
        `(${timings.length} runs)${plan.flags.length ? ' — ' + plan.flags.join('; ') : ''}`);
    }
  } finally {
    await client.end().catch(() => {});
  }
  out.cpu = meter.stop();
  return out;
}

/** The plans of the statements one claim_step runs, from auto_explain, and what is wrong with them. */
async function explain(client, batch) {
  const notices = [];
  const onNotice = (msg) => notices.push(msg.message);
  client.on('notice', onNotice);
  try {
    await client.query(`load 'auto_explain'`);
    await client.query(`set auto_explain.log_min_duration = 0`);
    await client.query(`set auto_explain.log_nested_statements = on`);
    await client.query(`set auto_explain.log_analyze = on`);
    await client.query(`set auto_explain.log_level = notice`);
    await client.query('begin');
    await client.query(`select count(*) from agent_runtime.claim_step('bench-claim', array['echo'], $1)`, [batch]);
    await client.query('rollback');
  } catch (err) {
    await client.query('rollback').catch(() => {});
    return { error: err.message, flags: [], statements: [] };
  } finally {
    await client.query(`set auto_explain.log_min_duration = -1`).catch(() => {});
    client.off('notice', onNotice);
  }
  const statements = [];
  const flags = new Set();
  for (const text of notices) {
    if (!/Query Text:/.test(text)) {
      continue;
    }
    const duration = Number((text.match(/duration: ([\d.]+) ms/) ?? [])[1]);
    const lines = text.split('\n');
    const from = lines.findIndex((l) => l.includes('Query Text:'));
    const to = lines.findIndex((l, i) => i > from && l.includes('(cost='));
    const query = lines.slice(from, to < 0 ? undefined : to).join(' ').replace(/^.*Query Text:/, '').replace(/\s+/g, ' ');
    const scans = [];
    for (const m of text.matchAll(/((?:Parallel )?Seq Scan|Index Scan(?: Backward)?|Index Only Scan(?: Backward)?|Bitmap Heap Scan|Bitmap Index Scan) (?:using (\S+) )?on (\S+)(?: \w+)?\s*\((?:[^)]*)\) \(actual[^)]*rows=(\d+)/g)) {
      // "Bitmap Index Scan on <index>" names the index, every other scan "on <table>"
      const bitmapIndex = m[1] === 'Bitmap Index Scan';
      const table = bitmapIndex ? null : m[3].replace(/^agent_runtime\./, '');
      scans.push({ node: m[1], index: bitmapIndex ? m[3] : (m[2] ?? null), table, rows: Number(m[4]) });
      if (/Seq Scan/.test(m[1]) && BIG_TABLES.includes(table)) {
        flags.add(`Seq Scan on ${table}`);
      }
    }
    // A Sort node reports the rows it returned (after a Limit, as few as the batch); what it had
    // to sort is what its input node returned: the next plan node below it.
    lines.forEach((line, i) => {
      if (!/^\s*(?:->\s+)?(?:Incremental )?Sort\s+\(/.test(line)) {
        return;
      }
      const input = lines.slice(i + 1).find((l) => /->\s+.*\(actual/.test(l) || /->\s+.*never executed/.test(l));
      const rows = Number((input?.match(/\(actual[^)]*rows=(\d+)/) ?? [])[1] ?? 0);
      scans.push({ node: 'Sort', input_rows: rows });
      if (rows > batch) {
        flags.add(`Sort of ${rows} rows`);
      }
    });
    // A statement that touches no table (argument checks) is left out; the whole plan text is
    // kept for the claim statement itself and for any statement that was flagged.
    if (scans.length > 0) {
      const flagged = scans.some((x) => (/Seq Scan/.test(x.node) && BIG_TABLES.includes(x.table)) || x.input_rows > batch);
      const main = /for update skip locked/i.test(query);
      statements.push({ duration_ms: duration, query: query.trim().slice(0, 200), scans,
        ...(main || flagged ? { plan: lines.slice(to < 0 ? 0 : to).join('\n').slice(0, 8000) } : {}) });
    }
  }
  return { flags: [...flags], statements };
}
