// Section "rss": the host's memory (VmRSS now, VmHWM peak, from /proc/<pid>/status) when idle and
// with 1,000 steps in flight. The host gets 1,000 slots; the steps are echo tasks that wait
// (delay_ms) long enough to all be running at once. Idle is read 5 s after start-up (after the
// JIT and the first claims settled); in flight is read once every task reported "working" and a
// heartbeat had passed. The host is then stopped with a short grace period.
import { connect, withClient, dropDb, now, sleep, log, scalar } from './lib.mjs';
import { freshDb, followStatusNotices, startHost } from './ours.mjs';
import { hostConfigFromEnv } from './section-host.mjs';

export async function rssSection(ctx) {
  const n = ctx.rssInFlight;
  const db = 'bench_rss';
  await freshDb(db);
  const config = { ...hostConfigFromEnv(), Worker__ShutdownGracePeriod: '00:00:01' };
  const host = await startHost(db, { name: 'host-rss', workerId: 'bench-rss', concurrency: n, config });
  const listener = await connect(db);
  let working = 0;
  try {
    await followStatusNotices(listener, (_tag, ordinal) => {
      if (ordinal === 2) working++; // submitted, working
    });
    await sleep(5000);
    const idle = host.memory();
    await withClient(db, (c) => c.query(
      `select agent_runtime.submit_task('echo', '{"delay_ms": 60000}'::jsonb) from generate_series(1, $1::int)`, [n]));
    const deadline = now() + 60_000;
    while (working < n && now() < deadline) {
      await sleep(20);
    }
    const running = await withClient(db, (c) => scalar(c,
      `select count(*)::int from agent_runtime.steps where status = 'running' and leased_by = 'bench-rss'`));
    if (running < n) {
      throw new Error(`only ${running} of ${n} steps running on the host`);
    }
    await sleep(3000);
    const busy = host.memory();
    const out = { slots: n, in_flight: running, idle, in_flight_memory: busy,
      note: 'VmRSS: resident now; VmHWM: the peak since start (MiB)' };
    log(`rss: idle ${idle.rss_mib} MiB, ${running} in flight ${busy.rss_mib} MiB (peak ${busy.hwm_mib} MiB)`);
    return out;
  } finally {
    await listener.end().catch(() => {});
    await host.stop();
    await dropDb(db);
  }
}
