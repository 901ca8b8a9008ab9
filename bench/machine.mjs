// What the numbers were measured on: the machine, the PostgreSQL server and the settings that
// matter to a queue, and the versions of everything measured.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { env, run, withClient, createDb, dropDb } from './lib.mjs';
import { peerVersions } from './peers.mjs';

// Settings that decide what a commit costs or how the planner sees the queue.
const SETTINGS = [
  'fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'wal_level', 'wal_buffers',
  'commit_delay', 'shared_buffers', 'work_mem', 'effective_cache_size', 'max_connections', 'max_wal_size',
  'checkpoint_timeout', 'autovacuum', 'autovacuum_naptime', 'jit', 'random_page_cost', 'huge_pages',
  'listen_addresses',
];

/**
 * What a commit costs on this disk: pg_test_fsync's fdatasync rate for one 8 kB write (the WAL
 * flush of a commit, wal_sync_method=fdatasync), in the cluster's folder. One-statement loops
 * (submit, single completions) cannot commit faster than this per connection.
 */
async function fdatasyncRate() {
  const file = path.join(env.pgData ? path.dirname(env.pgData) : '/tmp', 'fsync-test.out');
  try {
    const { stdout } = await run(path.join(env.pgBin, 'pg_test_fsync'), ['-s', '1', '-f', file], { timeoutMs: 120_000 });
    return Number((stdout.match(/^\s+fdatasync\s+([\d.]+) ops\/sec/m) ?? [])[1]) || null;
  } catch {
    return null;
  } finally {
    rmSync(file, { force: true });
  }
}

export async function machineInfo() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const osRelease = (() => {
    try {
      return (readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]*)"?/m) ?? [])[1] ?? null;
    } catch {
      return null;
    }
  })();
  const dotnet = await run('dotnet', ['--version']).then((r) => r.stdout.trim()).catch(() => null);
  const git = await run('git', ['-C', env.repo, 'log', '-1', '--format=%H %cs %s']).then((r) => r.stdout.trim()).catch(() => null);
  // the last commit that changed what is measured (the schema and the host), not the bench's own
  const measured = await run('git', ['-C', env.repo, 'log', '-1', '--format=%H %cs %s', '--', 'db', 'src'])
    .then((r) => r.stdout.trim()).catch(() => null);
  const dirty = await run('git', ['-C', env.repo, 'status', '--porcelain', '--', 'db', 'src'])
    .then((r) => r.stdout.trim().length > 0).catch(() => null);
  const server = await withClient('postgres', async (c) => {
    const version = (await c.query('select version() as v')).rows[0].v;
    const settings = await c.query(
      `select name, setting, unit from pg_settings where name = any($1::text[]) order by name`, [SETTINGS]);
    return {
      version,
      settings: Object.fromEntries(settings.rows.map((r) => [r.name, r.unit ? `${r.setting} (${r.unit})` : r.setting])),
      shared_buffers: (await c.query('show shared_buffers')).rows[0].shared_buffers,
      work_mem: (await c.query('show work_mem')).rows[0].work_mem,
    };
  });
  // pgvector must be installable in the cluster (the product needs it); the bench does not use it.
  let pgvector = null;
  try {
    await createDb('bench_pgvector_check');
    pgvector = await withClient('bench_pgvector_check', async (c) => {
      await c.query('create extension vector');
      return (await c.query(`select extversion from pg_extension where extname = 'vector'`)).rows[0].extversion;
    });
  } catch (err) {
    pgvector = `not available: ${err.message}`;
  } finally {
    await dropDb('bench_pgvector_check').catch(() => {});
  }
  return {
    date: new Date().toISOString(),
    disk_fdatasync_per_s: await fdatasyncRate(),
    cpu_model: (cpuinfo.match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? os.cpus()[0]?.model ?? null,
    cores: os.cpus().length,
    ram_gib: Math.round(Number((meminfo.match(/^MemTotal:\s+(\d+)/m) ?? [])[1]) / 1024 / 1024 * 10) / 10,
    kernel: os.release(),
    os: osRelease,
    postgres: server.version,
    postgres_settings: server.settings,
    shared_buffers: server.shared_buffers,
    pgvector,
    connection: 'Unix socket (every client); the server also listens on 127.0.0.1 only',
    node: process.version,
    dotnet_sdk: dotnet,
    peers: peerVersions(),
    agent_runtime_commit: git,
    agent_runtime_db_src_commit: measured,
    agent_runtime_db_src_dirty: dirty,
  };
}
