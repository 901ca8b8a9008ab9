// Section "output": streamed output through the public API (append_output, read_output), ours
// only (graphile-worker and pg-boss have no streamed output).
//
// Throughput: each of C connections claims an echo step (claim_step, as a worker does; no host
// runs) and appends token-sized text chunks to its task's output, one append_output call per
// chunk, each its own transaction (autocommit, fsync and synchronous_commit at their defaults),
// for a fixed window; chunks/s counts the appends that returned. A connection moves to a fresh
// step every STEP_CHUNKS chunks, so no step nears the output limits.
//
// Latency: one writer appends one chunk at a time to one task; a reader LISTENs on
// agent_runtime_task_output and, at each notification with the task's tag, reads read_output
// after the last sequence it has. The time is from just before the append is sent (its commit
// is inside the window) to the arrival of the chunk's row at the reader: an upper bound of
// commit -> client receipt. Every sample waits GAP_MS after the previous one was received.
import { connect, dropDb, now, sleep, summarize, round, log, settle, cpuMeter } from './lib.mjs';
import { freshDb, taskTag } from './ours.mjs';

const CONNECTIONS = [1, 2, 4];
const STEP_CHUNKS = 2_000;
const WARMUP = 10;
const GAP_MS = 20;
const TIMEOUT_MS = 10_000;
const TOKEN = JSON.stringify('token ');

const APPEND = 'select agent_runtime.append_output($1, $2, $3, $4::jsonb) as seq';
const READ = 'select seq from agent_runtime.read_output($1, $2)';
const CLAIM_ONE = `select step_id, lease_token from agent_runtime.claim_step($1, array['echo'], 1, 600)`;

export async function outputSection(ctx) {
  const db = 'bench_output';
  await freshDb(db);
  try {
    const out = { chunk: TOKEN, step_chunks: STEP_CHUNKS, seconds: ctx.sqlSeconds, throughput: {}, latency: null };
    for (const connections of CONNECTIONS) {
      out.throughput[connections] = await throughput(db, connections, ctx.sqlSeconds);
    }
    out.latency = await latency(db, ctx.latencySamples);
    return out;
  } finally {
    await dropDb(db);
  }
}

/** A new echo task's step, claimed by `client` with a lease longer than any window here. */
async function claimFresh(client, worker) {
  await client.query(`select agent_runtime.submit_task('echo', '{}'::jsonb)`);
  const r = await client.query(CLAIM_ONE, [worker]);
  if (r.rows.length !== 1) {
    throw new Error(`${worker} claimed ${r.rows.length} steps, not 1`);
  }
  const { step_id: stepId, lease_token: token } = r.rows[0];
  return { stepId, token };
}

async function throughput(db, connections, seconds) {
  const clients = await Promise.all(Array.from({ length: connections }, () => connect(db)));
  try {
    const steps = await Promise.all(clients.map((c, i) => claimFresh(c, `bench-output-${i}`)));
    await settle(`output ${connections} connections`);
    const meter = cpuMeter();
    const t0 = now();
    const deadline = t0 + seconds * 1000;
    const counts = await Promise.all(clients.map(async (client, i) => {
      let step = steps[i];
      let n = 0;
      while (now() < deadline) {
        if (n > 0 && n % STEP_CHUNKS === 0) {
          step = await claimFresh(client, `bench-output-${i}`);
        }
        await client.query(APPEND, [step.stepId, step.token, 'answer', TOKEN]);
        n++;
      }
      return n;
    }));
    const ms = now() - t0;
    const cpu = meter.stop();
    const chunks = counts.reduce((a, b) => a + b, 0);
    const perSecond = round(chunks / ms * 1000, 0);
    log(`output: ${connections} connections, ${chunks} chunks in ${round(ms / 1000, 1)} s: ${perSecond} chunks/s`);
    return { connections, chunks, ms: round(ms, 0), chunks_per_s: perSecond, cpu };
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
  }
}

async function latency(db, samples) {
  const writer = await connect(db);
  const reader = await connect(db);
  try {
    const step = await claimFresh(writer, 'bench-output-latency');
    const taskId = (await writer.query('select task_id from agent_runtime.steps where id = $1', [step.stepId])).rows[0].task_id;
    const tag = taskTag(taskId);
    // seq -> arrival at the reader; the reader reads after the last seq it has, one read at a time.
    const arrived = new Map();
    let lastSeq = 0;
    let reading = false;
    let again = false;
    let waiter = null;
    const readOn = async () => {
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      do {
        again = false;
        const rows = (await reader.query(READ, [taskId, lastSeq])).rows;
        const t = now();
        for (const row of rows) {
          const seq = Number(row.seq);
          arrived.set(seq, t);
          lastSeq = seq;
        }
        waiter?.();
      } while (again);
      reading = false;
    };
    reader.on('notification', (msg) => {
      if (msg.channel === 'agent_runtime_task_output' && msg.payload === tag) {
        readOn().catch((err) => log(`output latency reader: ${err.message}`));
      }
    });
    await reader.query('listen agent_runtime_task_output');
    await settle('output latency');
    const received = [];
    const calls = [];
    const meter = cpuMeter();
    for (let i = 0; i < WARMUP + samples; i++) {
      const t0 = now();
      const seq = Number((await writer.query(APPEND, [step.stepId, step.token, 'answer', TOKEN])).rows[0].seq);
      const t1 = now();
      const t = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`chunk ${seq}: not read within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
        const check = () => {
          if (arrived.has(seq)) {
            clearTimeout(timer);
            waiter = null;
            resolve(arrived.get(seq));
          }
        };
        waiter = check;
        check();
      });
      if (i >= WARMUP) {
        received.push(t - t0);
        calls.push(t1 - t0);
      }
      await sleep(GAP_MS);
    }
    const cpu = meter.stop();
    const s = summarize(received);
    log(`output latency: append sent -> chunk read by the listener p50 ${s.p50} ms p99 ${s.p99} ms`);
    return {
      received: { label: 'append_output sent -> chunk read (LISTEN agent_runtime_task_output + read_output)', ...s, cpu,
        samples_ms: received.map((x) => round(x, 2)) },
      append_call: { label: 'the append_output call itself (round trip, commit)', ...summarize(calls) },
    };
  } finally {
    await writer.end().catch(() => {});
    await reader.end().catch(() => {});
  }
}
