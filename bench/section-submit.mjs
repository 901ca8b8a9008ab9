// Section "submit": how fast work gets in. pgbench (C, prepared statements, 4 connections on 2
// threads) runs one statement in a loop for a fixed time:
//   - agent_runtime.submit_task, one task per statement;
//   - agent_runtime.submit_tasks, 1000 tasks per call;
//   - graphile_worker.add_job, one job per statement, and add_jobs with 1000 jobs per call.
// Every run is checked against the rows it left behind: tasks (or jobs) = calls x per call.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { env, run, withClient, dropDb, scalar, round, log, settle, cpuMeter } from './lib.mjs';
import { freshDb } from './ours.mjs';
import { graphileDb } from './peers.mjs';

const CONNECTIONS = 4;
const BULK = 1000;

export async function submitSection(ctx) {
  const out = { connections: CONNECTIONS, seconds: ctx.submitSeconds, bulk_size: BULK, rows: {}, notes: [] };
  const countTasks = (c) => scalar(c, 'select count(*)::int from agent_runtime.tasks');
  const countJobs = (c) => scalar(c, 'select count(*)::int from graphile_worker._private_jobs');

  // --- AgentRuntime, one per statement -----------------------------------------------------------
  {
    const db = 'bench_submit_ours';
    await freshDb(db);
    const sql = `select agent_runtime.submit_task('echo', '{}'::jsonb);`;
    out.rows.submit_task = { label: 'agent_runtime.submit_task, one per statement', sql,
      ...await pgbench(ctx, db, sql, 1, countTasks) };
    await dropDb(db);
  }

  // --- AgentRuntime, bulk --------------------------------------------------------------------------
  {
    const db = 'bench_submit_ours_bulk';
    await freshDb(db);
    const sql = `select count(*) from agent_runtime.submit_tasks(array['echo'], array_fill('{}'::jsonb, array[${BULK}]));`;
    out.rows.submit_tasks = { label: `agent_runtime.submit_tasks, ${BULK} per call`, sql,
      ...await pgbench(ctx, db, sql, BULK, countTasks) };
    await dropDb(db);
  }

  // --- graphile-worker -------------------------------------------------------------------------------
  {
    const db = 'bench_submit_graphile';
    await graphileDb(db);
    const sql = `select graphile_worker.add_job('noop', '{}'::json);`;
    out.rows.add_job = { label: 'graphile_worker.add_job, one per statement', sql,
      ...await pgbench(ctx, db, sql, 1, countJobs) };
    await dropDb(db);
  }
  {
    const db = 'bench_submit_graphile_bulk';
    await graphileDb(db);
    const sql = `select count(*) from graphile_worker.add_jobs(array(select json_populate_record(null::graphile_worker.job_spec, ` +
      `json_build_object('identifier', 'noop', 'payload', '{}'::json)) from generate_series(1, ${BULK})));`;
    out.rows.add_jobs = { label: `graphile_worker.add_jobs, ${BULK} per call`, sql,
      ...await pgbench(ctx, db, sql, BULK, countJobs) };
    await dropDb(db);
  }
  return out;
}

async function pgbench(ctx, db, sql, perCall, count) {
  const script = path.join(ctx.work, 'logs', `pgbench-${db}.sql`);
  writeFileSync(script, sql + '\n');
  const before = await withClient(db, count);
  await settle(`submit ${db}`);
  const meter = cpuMeter();
  const { stdout } = await run(path.join(env.pgBin, 'pgbench'), [
    '-n', '-M', 'prepared', '-c', String(CONNECTIONS), '-j', '2', '-T', String(ctx.submitSeconds),
    '-f', script, '-h', env.host, '-p', String(env.port), '-U', 'postgres', db,
  ]);
  const cpu = meter.stop();
  const tps = Number((stdout.match(/tps = ([\d.]+) \(without initial connection time\)/) ?? [])[1]);
  const calls = Number((stdout.match(/number of transactions actually processed: (\d+)/) ?? [])[1]);
  const failed = Number((stdout.match(/number of failed transactions: (\d+)/) ?? [0, 0])[1]);
  const latency = Number((stdout.match(/latency average = ([\d.]+) ms/) ?? [])[1]);
  if (!Number.isFinite(tps) || !Number.isFinite(calls)) {
    throw new Error(`could not read pgbench's output:\n${stdout}`);
  }
  const rows = (await withClient(db, count)) - before;
  if (failed > 0 || rows !== calls * perCall) {
    throw new Error(`pgbench on ${db}: ${calls} calls (${failed} failed) left ${rows} rows, expected ${calls * perCall}`);
  }
  const result = { tasks_per_s: round(tps * perCall, 0), calls_per_s: round(tps, 1), calls, rows, failed,
    mean_call_latency_ms: latency, cpu };
  log(`submit ${db}: ${result.tasks_per_s} tasks/s`);
  return result;
}
