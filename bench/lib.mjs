// Shared plumbing of the benchmark runner: connections to the bench cluster, databases, child
// processes (tracked so that nothing outlives the run), clocks and statistics.
//
// Every connection goes to the cluster's Unix socket (BENCH_PGHOST is its folder), never to a
// network address. Times are taken with performance.now() in this process, so that every system's
// latency is measured by the same clock and the same event loop.
import { spawn, execFile } from 'node:child_process';
import { appendFileSync, readFileSync, readdirSync, createWriteStream, mkdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import path from 'node:path';
import pg from 'pg';

// bigint (int8) as JavaScript numbers: step ids and counts stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export const env = {
  host: must('BENCH_PGHOST'),
  port: Number(must('BENCH_PGPORT')),
  pgBin: must('BENCH_PG_BIN'),
  pgData: process.env.BENCH_PG_DATA ?? '',
  cli: must('BENCH_CLI'),
  repo: must('BENCH_REPO'),
  pidfile: process.env.BENCH_PIDFILE ?? '',
};

function must(name) {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set: run the benchmark through scripts/bench.sh`);
  }
  return v;
}

export const now = () => performance.now();
export const sleep = (ms) => delay(ms);
export const round = (x, digits = 1) => (x == null || !Number.isFinite(x) ? x : Number(x.toFixed(digits)));

let logDir = null;
export function setLogDir(dir) {
  logDir = dir;
  mkdirSync(dir, { recursive: true });
}
export function log(...args) {
  const t = new Date().toISOString().slice(11, 23);
  console.error(`bench ${t}`, ...args);
}

// --- connections -------------------------------------------------------------------------------

export function pgConfig(database, extra = {}) {
  return { host: env.host, port: env.port, user: 'postgres', database, application_name: 'bench', ...extra };
}

export async function connect(database, extra = {}) {
  const client = new pg.Client(pgConfig(database, extra));
  client.on('error', (err) => log(`connection to ${database} failed: ${err.message}`));
  await client.connect();
  return client;
}

export async function withClient(database, fn) {
  const client = await connect(database);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The Npgsql connection string of a bench database, for agent-runtime. */
export function npgsql(database) {
  return `Host=${env.host};Port=${env.port};Username=postgres;Database=${database}`;
}

export function ident(name) {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
    throw new Error(`not a plain identifier: ${name}`);
  }
  return name;
}

/** A fresh database (dropped first when it exists), from a template or empty. */
export async function createDb(name, template = 'template0') {
  await withClient('postgres', async (c) => {
    await c.query(`drop database if exists ${ident(name)} with (force)`);
    await c.query(`create database ${ident(name)} template ${ident(template)}`);
  });
}

export async function dropDb(name) {
  await withClient('postgres', (c) => c.query(`drop database if exists ${ident(name)} with (force)`));
}

/** One number from a one-row, one-column query. */
export async function scalar(client, sql, params = []) {
  const r = await client.query(sql, params);
  const row = r.rows[0];
  return row == null ? null : row[Object.keys(row)[0]];
}

// --- child processes ---------------------------------------------------------------------------

const children = new Set();

function track(proc) {
  children.add(proc);
  if (env.pidfile) {
    appendFileSync(env.pidfile, `${proc.pid}\n`);
  }
  proc.on('exit', () => children.delete(proc));
}

// Whatever happens to the runner, its children go with it (bench.sh's trap is the second net).
function killChildren() {
  for (const proc of children) {
    try {
      process.kill(proc.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.on('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killChildren();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

/**
 * Starts a tracked child process whose stdout and stderr go to a log file, and calls onLine for
 * each stdout line. Returns { proc, pid, exited (a promise of the exit code), logFile }.
 */
export function spawnLogged(name, command, args, { env: extraEnv = {}, onLine, ipc = false } = {}) {
  const logFile = path.join(logDir ?? '/tmp', `${name}.log`);
  const out = createWriteStream(logFile);
  const proc = spawn(command, args, {
    env: { ...process.env, ...extraEnv },
    stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  track(proc);
  let buffer = '';
  proc.stdout.on('data', (chunk) => {
    out.write(chunk);
    if (onLine) {
      buffer += chunk.toString();
      let i;
      while ((i = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        onLine(line);
      }
    }
  });
  proc.stderr.on('data', (chunk) => out.write(chunk));
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => {
    out.end();
    resolve(code ?? signal);
  }));
  return { proc, pid: proc.pid, exited, logFile };
}

/** Runs a command to its end; rejects with its output when it fails. */
export function run(command, args, { env: extraEnv = {}, timeoutMs = 600_000 } = {}) {
  return new Promise((resolve, reject) => {
    const proc = execFile(command, args, {
      env: { ...process.env, ...extraEnv },
      maxBuffer: 64 * 1024 * 1024,
      timeout: timeoutMs,
    }, (err, stdout, stderr) => {
      if (err) {
        err.message = `${command} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`.slice(0, 8000);
        reject(err);
      } else {
        resolve({ stdout, stderr });
      }
    });
    track(proc);
  });
}

/** VmRSS and VmHWM (peak) of a process, in MiB, from /proc/<pid>/status. */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key) => Number((status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm')) ?? [])[1]);
  return { rss_mib: round(kib('VmRSS') / 1024), hwm_mib: round(kib('VmHWM') / 1024) };
}

// --- statistics --------------------------------------------------------------------------------

/** Nearest-rank percentile of an array of numbers. */
export function percentile(values, p) {
  if (values.length === 0) {
    return null;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export function summarize(values, digits = 2) {
  if (values.length === 0) {
    return { n: 0 };
  }
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return {
    n: values.length,
    min: round(Math.min(...values), digits),
    p50: round(percentile(values, 50), digits),
    p90: round(percentile(values, 90), digits),
    p99: round(percentile(values, 99), digits),
    max: round(Math.max(...values), digits),
    mean: round(mean, digits),
  };
}

/**
 * Counts completions as they are seen (a NOTIFY, a worker's report), with the time of the first
 * and the last: no query runs while a system drains its backlog. (Polling a count every 50 ms cost
 * 10-30 ms of server time per poll at these backlogs: a fifth of a core taken from the system
 * measured.)
 */
export function completionCounter() {
  return {
    count: 0,
    firstAt: null,
    firstCount: 0,
    lastAt: null,
    /** `n` more completions were seen now. */
    add(n = 1) {
      this.set(this.count + n);
    },
    /** `total` completions were seen so far. */
    set(total) {
      if (total <= this.count) return;
      const t = now();
      if (this.firstAt === null) {
        this.firstAt = t;
        this.firstCount = total;
      }
      this.count = total;
      this.lastAt = t;
    },
  };
}

/**
 * Waits until the counter reached `total`, then until `remaining()` (a query of the database)
 * says nothing is left, and returns the rate from the first completion seen to the last:
 * tasks/s = (total - completions in the first sighting) / (last - first). Start-up is outside
 * the window. `end`: 'counter' when the counter sees committed completions (NOTIFY after commit),
 * 'remaining' when it sees handler calls whose completion commits later (the window then ends
 * at the first query that found nothing left, polled every 10 ms).
 */
export async function drain(counter, total, remaining, { end = 'counter', stallMs = 60_000, what = 'work' } = {}) {
  const started = now();
  let meter = null;
  let last = -1;
  let lastChange = started;
  const progress = [];
  while (counter.count < total) {
    const t = now();
    if (meter === null && counter.firstAt !== null) {
      meter = cpuMeter();
    }
    if (counter.count !== last) {
      last = counter.count;
      lastChange = t;
    }
    if (progress.length === 0 || t - progress[progress.length - 1][0] - started >= 1000) {
      progress.push([round(t - started, 0), total - counter.count]);
    }
    if (t - lastChange > stallMs) {
      throw new Error(`${what}: no progress for ${stallMs / 1000} s with ${total - counter.count} of ${total} left`);
    }
    await sleep(20);
  }
  meter ??= cpuMeter();
  let endAt = counter.lastAt;
  const confirmBy = now() + 30_000;
  for (;;) {
    const left = Number(await remaining());
    if (left === 0) {
      if (end === 'remaining') endAt = now();
      break;
    }
    if (now() > confirmBy) {
      throw new Error(`${what}: ${counter.count} completions seen, but ${left} still unfinished in the database after 30 s`);
    }
    await sleep(10);
  }
  const cpu = meter.stop();
  const windowMs = endAt - counter.firstAt;
  progress.push([round(endAt - started, 0), 0]);
  return {
    tasks_per_s: windowMs > 0 ? round(((total - counter.firstCount) / windowMs) * 1000, 0) : null,
    window_ms: round(windowMs, 0),
    counted_tasks: total - counter.firstCount,
    first_completion_after_ms: round(counter.firstAt - started, 0),
    window_ends_at: end === 'counter' ? 'last completion seen' : 'first query that found nothing left',
    cpu,
    progress,
  };
}

/**
 * Lets the machine settle before a timed window: a CHECKPOINT (the server writes its dirty pages)
 * and sync (the kernel writes its own), then waits until the CPUs are quiet. Without it the
 * previous measurement's writes are still being flushed while the next one runs, and every
 * commit's WAL flush waits behind them. The machine may also be shared (another session building
 * or testing): a window only starts once processes that are not this run's used less than QUIET
 * of the CPU time over a second, or after QUIET_WAIT_MS (and at most BENCH_QUIET_BUDGET_S of
 * waiting in the whole run); what was seen is kept in `quietChecks` for the report. Nothing about durability changes: this only keeps other work out of the window.
 */
const QUIET = 0.15;
const QUIET_WAIT_MS = Number(process.env.BENCH_QUIET_WAIT_S ?? 120) * 1000;
// all the waiting of one run together: on a machine that stays busy the run still ends
let quietBudgetMs = Number(process.env.BENCH_QUIET_BUDGET_S ?? 900) * 1000;
export const quietChecks = [];

// /proc/stat "cpu": user nice system idle iowait irq softirq steal guest guest_nice (guest time is
// already in user). Steal (the hypervisor ran someone else) is counted apart from busy.
function cpuTimes() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal = 0] = f;
  return { idle: idle + iowait, steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
}

export async function settle(label = '') {
  await withClient('postgres', (c) => c.query('checkpoint'));
  await run('sync', []);
  const t0 = now();
  const sample = async () => {
    const meter = cpuMeter();
    await sleep(1000);
    return meter.stop();
  };
  // quiet = three one-second samples in a row below QUIET (a lull between two test runs of
  // another session is not quiet)
  let cpu = await sample();
  let quietSeconds = cpu.foreign_percent < QUIET * 100 ? 1 : 0;
  let warned = false;
  while (quietSeconds < 3 && now() - t0 < Math.min(QUIET_WAIT_MS, quietBudgetMs)) {
    if (!warned && quietSeconds === 0) {
      log(`waiting for a quiet machine before ${label || 'the next window'}: other processes use ${cpu.foreign_percent}% of the CPU`);
      warned = true;
    }
    cpu = await sample();
    quietSeconds = cpu.foreign_percent < QUIET * 100 ? quietSeconds + 1 : 0;
  }
  quietBudgetMs = Math.max(0, quietBudgetMs - (now() - t0));
  const check = { label, ...cpu, waited_s: round((now() - t0) / 1000, 0),
    loadavg_1m: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]) };
  if (cpu.foreign_percent >= QUIET * 100) {
    log(`WARNING: measuring ${label} on a busy machine (other processes: ${cpu.foreign_percent}% after ${check.waited_s} s)`);
  }
  quietChecks.push(check);
  return check;
}

// --- whose CPU time was it? ---------------------------------------------------------------------

/**
 * CPU time of the process trees this run owns (the runner with its children, and the bench
 * cluster's postmaster with its backends), in clock ticks. A process's reaped children are in
 * its cutime/cstime, so processes that end inside a window still count.
 */
function ownTicks() {
  const roots = new Set([process.pid]);
  try {
    roots.add(Number(readFileSync(path.join(env.pgData, 'postmaster.pid'), 'utf8').split('\n')[0]));
  } catch {
    // no cluster folder known
  }
  const procs = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[1] = ppid; [11..14] = utime stime cutime cstime
      procs.set(Number(entry), { ppid: Number(fields[1]),
        ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]) });
    } catch {
      // exited meanwhile
    }
  }
  const own = (pid) => {
    for (let p = pid, depth = 0; p > 1 && depth < 50; p = procs.get(p)?.ppid ?? 0, depth++) {
      if (roots.has(p)) return true;
    }
    return false;
  };
  let ticks = 0;
  for (const [pid, p] of procs) {
    if (own(pid)) ticks += p.ticks;
  }
  return ticks;
}

/**
 * Measures a window's CPU use: meter = cpuMeter(); ...; meter.stop() -> { busy_percent,
 * foreign_percent }, where foreign is the busy time of processes that are not this run's (another
 * session's build or tests on a shared machine). Percent of all cores.
 */
export function cpuMeter() {
  const a = cpuTimes();
  const ownA = ownTicks();
  return {
    stop() {
      const b = cpuTimes();
      const ownB = ownTicks();
      const total = b.total - a.total;
      if (total <= 0) return { busy_percent: 0, foreign_percent: 0, steal_percent: 0 };
      const steal = b.steal - a.steal;
      const busy = total - (b.idle - a.idle) - steal;
      const foreign = Math.max(0, busy - (ownB - ownA));
      const pct = (x) => Math.round((x / total) * 100);
      return { busy_percent: pct(busy), foreign_percent: pct(foreign), steal_percent: pct(steal) };
    },
  };
}
