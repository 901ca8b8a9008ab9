// Turns the results JSON into docs/benchmarks.md (tables) and docs/benchmarks.svg (a hand-written
// bar chart: no chart library, no fonts to install; any browser or the GitHub viewer shows it).
//
//   node report.mjs results.json OUT_DIR     (re-renders an earlier run; run.mjs calls writeReport)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const fmt = (x, digits = 0) => (x == null || Number.isNaN(x) ? '—'
  : Number(x).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
const ms = (x) => (x == null ? '—' : x < 10 ? fmt(x, 2) : x < 100 ? fmt(x, 1) : fmt(x, 0));
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const table = (head, rows) => [
  `| ${head.join(' | ')} |`,
  `| ${head.map(() => '---').join(' | ')} |`,
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');

export function writeReport(results, out) {
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'benchmarks.md'), markdown(results));
  writeFileSync(path.join(out, 'benchmarks.svg'), svg(results));
}

// --- markdown ------------------------------------------------------------------------------------

function markdown(r) {
  const m = r.machine ?? {};
  const s = r.sections ?? {};
  const lines = [];
  const p = (...x) => lines.push(...x);
  p('# Benchmarks', '');
  p(`AgentRuntime side by side with graphile-worker and pg-boss, measured by \`scripts/bench.sh\` (harness: [bench/](../bench/)) ` +
    `in one run on ${m.date ? m.date.slice(0, 10) : '?'} (${r.mode} mode, ${fmt(r.total_seconds)} s). ` +
    'Every system ran alone, one after another, each in its own database of one PostgreSQL cluster started for the run ' +
    'with default settings (fsync and synchronous_commit on). The raw numbers are in [benchmarks.json](benchmarks.json).', '');
  p('This is not a test and CI does not run it. To reproduce (as root, on a quiet machine):', '');
  p('```sh', 'scripts/bench.sh                       # everything, ~15 min (more while it waits for a quiet machine): docs/benchmarks.*',
    'scripts/bench.sh --quick               # small sizes, a few minutes (results in the scratch folder)',
    'scripts/bench.sh --only host,latency   # some sections: host sql submit latency claim recovery rss fairness purge adk output', '```', '');
  const busyWindows = collectCpu(r).filter((x) => x.cpu.foreign_percent >= 10);
  if (busyWindows.length > 0) {
    p(`> **Shared machine.** In ${busyWindows.length} of ${collectCpu(r).length} timed windows other processes on the machine ` +
      '(other sessions\' builds and tests) used 10% of the CPU or more, up to ' +
      `${Math.max(...busyWindows.map((x) => x.cpu.foreign_percent))}% (see [Measurement conditions](#measurement-conditions)). ` +
      'Absolute numbers of those windows are lower than the systems reach alone; comparisons between systems measured ' +
      'under similar load hold better than the absolute values.', '');
  }
  p('![throughput and latency](benchmarks.svg)', '');

  p('## Machine', '');
  const ps = m.postgres_settings ?? {};
  p(table(['what', 'value'], [
    ['CPU', `${m.cpu_model ?? '?'}, ${m.cores ?? '?'} cores`],
    ['RAM', `${m.ram_gib ?? '?'} GiB`],
    ['disk', m.disk_fdatasync_per_s ? `${fmt(m.disk_fdatasync_per_s)} fdatasync/s of one 8 kB write (pg_test_fsync, in the cluster's folder)` : '?'],
    ['kernel / OS', `${m.kernel ?? '?'} / ${m.os ?? '?'}`],
    ['PostgreSQL', esc(m.postgres ?? '?')],
    ['settings', ['fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'shared_buffers', 'work_mem',
      'max_connections', 'max_wal_size', 'autovacuum', 'jit'].filter((k) => k in ps).map((k) => `${k}=${ps[k]}`).join(', ')],
    ['connection', m.connection ?? ''],
    ['pgvector', m.pgvector ?? '?'],
    ['Node.js', m.node ?? '?'],
    ['.NET SDK', m.dotnet_sdk ?? '?'],
    ['graphile-worker / pg-boss / pg', `${m.peers?.['graphile-worker'] ?? '?'} / ${m.peers?.['pg-boss'] ?? '?'} / ${m.peers?.pg ?? '?'}`],
    ['agent-runtime', `checkout at ${esc(m.agent_runtime_commit ?? '?')}` +
      (m.agent_runtime_db_src_commit ? `; db/ and src/ last changed in ${esc(m.agent_runtime_db_src_commit)}` : '') +
      (m.agent_runtime_db_src_dirty ? ' (with uncommitted changes in db/ or src/)' : '')],
  ]), '');

  p('## Against the targets', '');
  p(table(['target', 'measured', 'met'], targets(r)), '');
  p('For every target missed, [hot-path-profile.md](hot-path-profile.md) shows which statement costs how much, what each ' +
    'task writes, and why the cost does not go lower without giving up a guarantee.', '');

  p('## Reading the numbers', '');
  p('- Latency is not measured at the same point for both: AgentRuntime\'s "claimed" is the task-status NOTIFY of the ' +
    'claim\'s commit arriving at another connection (wake-up NOTIFY to the host, claim round trip, commit, NOTIFY), ' +
    'graphile-worker\'s is the start of its handler, before it commits anything. Both start just before the submitting ' +
    'statement is sent, so both include its commit.');
  p('- Every commit waits for its WAL flush (fsync on): one-statement-per-call loops are bound by the disk line above ' +
    'and by how many connections share a flush.');
  p('- pg-boss fetches at most once per polling interval per worker, so its rate is about workers x batch / interval until ' +
    'the database saturates; it is shown with one worker and with four. graphile-worker "default" keeps its settings but ' +
    'runs 256 jobs at once like the host (its default concurrency, 1, would measure one job at a time).');
  p('- The machine has 2 cores shared by the server, the worker and the measuring process; numbers from a window in which ' +
    'other processes were busy (see "Measurement conditions") are lower than the system could do alone.', '');

  if (s.host) {
    const h = s.host;
    p('## 1. Throughput through a worker', '');
    p(`A backlog of ${fmt(h.backlog)} no-op tasks, VACUUM ANALYZEd, then one worker process. Tasks/s from the first ` +
      'completion seen to the last, without querying the database meanwhile: AgentRuntime\'s completions are seen through ' +
      'its task-status NOTIFY (sent at commit), the peers\' through their handler counts, the window then ending at the ' +
      'first query that finds nothing left (their completions commit in batches). Every task verified completed afterwards; ' +
      '"CPU busy" is the whole machine during the window, "others" the share of processes that are not this run\'s.', '');
    p(table(['system', 'tasks/s', 'window', 'all completed', 'worker memory after (RSS / peak)', 'CPU busy (others)'],
      Object.values(h.systems).map((x) => [
        x.label, `**${fmt(x.tasks_per_s)}**`, `${fmt(x.window_ms / 1000, 1)} s`, x.verified ? 'yes' : '**no**',
        mem(x.host_memory_after ?? x.worker_memory_after), cpu(x.cpu)])), '');
    p('Settings: ' + Object.values(h.systems).map((x) => `${x.label}: \`${JSON.stringify(x.settings)}\``).join('; ') + '.', '');
  }

  if (s.sql) {
    p('## 2. SQL only: claim_step + complete_steps', '');
    p(`N connections each loop \`claim_step(worker, array['echo'], B)\` then \`complete_steps(ids, tokens, outputs)\` ` +
      `(two transactions per round), up to ${s.sql.seconds_per_combination} s per combination, each on a fresh, ` +
      'VACUUM ANALYZEd backlog. Tasks/s, and the mean time of one claim / one complete.', '');
    const rows = s.sql.rows;
    const batches = [...new Set(rows.map((x) => x.batch))];
    const conns = [...new Set(rows.map((x) => x.connections))];
    p(table(['connections', ...batches.map((b) => `B = ${b}`)], conns.map((c) => [String(c), ...batches.map((b) => {
      const x = rows.find((y) => y.connections === c && y.batch === b);
      return x ? `**${fmt(x.tasks_per_s)}**/s (${ms(x.mean_claim_ms)} + ${ms(x.mean_complete_ms)} ms)` : '—';
    })])), '');
  }

  if (s.submit) {
    const x = s.submit;
    p('## 3. Submit throughput', '');
    p(`pgbench, ${x.connections} connections, prepared statements, ${x.seconds} s each; rows left behind checked against the calls.`, '');
    p(table(['statement', 'tasks/s', 'calls/s', 'mean call latency'], Object.values(x.rows).map((row) => row.skipped
      ? [row.label, `skipped: ${esc(row.skipped)}`, '', '']
      : [row.label, `**${fmt(row.tasks_per_s)}**`, fmt(row.calls_per_s, 1), `${ms(row.mean_call_latency_ms)} ms`])), '');
    for (const note of x.notes ?? []) {
      p(`Note: ${esc(note)}`, '');
    }
  }

  if (s.latency) {
    const l = s.latency;
    p('## 4. Latency, one task at a time on an idle worker', '');
    p(`${l.samples} samples per series after ${l.warmup} untimed ones, ${l.gap_ms} ms apart. AgentRuntime: from just before ` +
      '`submit_task` is sent to the arrival of the task-status NOTIFY (`working` = claimed by the host, `completed` = ' +
      'echo done and reported), seen by a third connection. graphile-worker: from just before `add_job` is sent to the ' +
      'start of the handler (in the measuring process).', '');
    p(table(['series', 'p50', 'p90', 'p99', 'max', 'n'], Object.values(l.series).map((x) => [
      x.label, `**${ms(x.p50)}** ms`, `${ms(x.p90)} ms`, `${ms(x.p99)} ms`, `${ms(x.max)} ms`, String(x.n)])), '');
  }

  if (s.claim) {
    const c = s.claim;
    p('## 5. Claim cost at a small and a large backlog', '');
    p('One `claim_step(worker, array[\'echo\'], B)` inside a transaction that is rolled back (so every repetition sees the ' +
      'same backlog); median of up to ' + `${c.repetitions} repetitions. "not analyzed": right after a bulk submit, autovacuum ` +
      'off for these tables; "analyzed": after ANALYZE. Plan notes come from auto_explain of the statements claim_step ran.', '');
    const rows = [];
    for (const [size, x] of Object.entries(c.sizes)) {
      for (const [phase, y] of Object.entries(x.phases)) {
        rows.push([fmt(Number(size)), phase.replace('_', ' '), ...c.batches.map((b) => `**${ms(y.batches[b]?.p50)}** ms`),
          ...c.batches.map((b) => esc(accessPath(y.batches[b]?.plan, b)))]);
      }
    }
    p(table(['ready steps', 'statistics', ...c.batches.map((b) => `claim_step(${b})`),
      ...c.batches.map((b) => `plan of claim_step(${b})`)], rows), '');
    p('The plan columns list, for the statement that picks and leases the steps, how it reads `steps` (primary-key ' +
      'lookups left out) and any sequential scan of `steps`, `tasks`, `events`, `sessions` or `session_events` or sort of ' +
      'more rows than the batch in any statement claim_step ran.', '');
    p(`Growth from ${fmt(c.sizes_compared[0])} to ${fmt(c.sizes_compared[1])} ready steps (median at the large backlog / at ` +
      'the small one): ' + Object.entries(c.ratio_large_to_small).map(([k, v]) => `${k.replace('not_analyzed', 'not analyzed')}: **${v ?? '—'}x**`).join(', ') + '.', '');
    const fills = Object.values(c.sizes).map((x) => `${fmt(x.ready_steps)} in ${fmt(x.fill.ms / 1000, 1)} s (${x.fill.method})`);
    p(`Backlogs: ${fills.join(', ')}.`, '');
  }

  if (s.recovery) {
    const x = s.recovery;
    p('## 6. Recovery after SIGKILL of a host', '');
    p(`Host A (Worker:LeaseSeconds=${x.lease_seconds}, poll interval ${x.poll_interval}) runs ${x.tasks} echo tasks of ` +
      `${fmt(x.delay_ms)} ms each; once all run, A is killed with SIGKILL and host B starts at once. Times from the kill ` +
      '(database clock), from the event log.', '');
    p(table(['what', 'value'], [
      ['steps held by the killed host', fmt(x.held_by_killed_host)],
      ['host B serving after', `${fmt(x.second_host_ready_after_kill_ms)} ms`],
      ['first step running again after', `**${fmt(x.first_rerun_after_kill_ms)} ms**`],
      ['all steps running again after', `**${fmt(x.all_rerun_after_kill_ms)} ms**`],
      ['all tasks completed after', `**${fmt(x.all_completed_after_kill_ms)} ms**`],
      ['steps re-run by B / lease-expired events', `${fmt(x.reruns_by_second_host)} / ${fmt(x.lease_expired_events)}`],
    ]), '');
  }

  if (s.rss) {
    const x = s.rss;
    p('## 7. Host memory', '');
    p(`\`agent-runtime run\` with ${fmt(x.slots)} slots, from /proc/<pid>/status (MiB).`, '');
    p(table(['state', 'VmRSS', 'VmHWM (peak)'], [
      ['idle (5 s after start)', fmt(x.idle.rss_mib, 1), fmt(x.idle.hwm_mib, 1)],
      [`${fmt(x.in_flight)} steps in flight`, fmt(x.in_flight_memory.rss_mib, 1), fmt(x.in_flight_memory.hwm_mib, 1)],
    ]), '');
  }

  if (s.fairness) {
    const x = s.fairness;
    p('## 8. Fair share across tenants', '');
    p(`One tenant's backlog is submitted first, three small tenants' after it (one weighted 3 with \`set_fairness_weight\`); ` +
      `${x.connections} connections drain it all with \`claim_step(${x.batch})\` + \`complete_steps\`. The claim order is read ` +
      'from the event log. No peer measured here has fair share: graphile-worker and pg-boss run the small tenants after ' +
      'the whole large backlog (the FIFO column).', '');
    p(table(['tenant', 'tasks', 'weight', `share of the first ${fmt(x.claims_while_all_had_work)} claims (all had work)`, 'expected', 'first claim', 'last claim', 'last claim under FIFO'],
      x.tenants.map((t) => [t.tenant, fmt(t.tasks), fmt(t.weight), `**${fmt(t.share_percent, 1)}%**`, `${fmt(t.share_expected_percent, 1)}%`,
        fmt(t.first_claim), `**${fmt(t.last_claim)}**`, fmt(t.last_claim_fifo)])), '');
    p(`Throughput with four tenants: ${fmt(x.tasks_per_s_fair)} tasks/s; the same loop over one tenant's backlog of the same size: ` +
      `${fmt(x.tasks_per_s_one_tenant)} tasks/s.`, '');
  }

  if (s.purge) {
    const x = s.purge;
    p('## 9. Retention while claims run', '');
    p(`${fmt(x.events)} events of ${fmt(x.finished_tasks)} finished tasks (events ${fmt(x.events_mib)} MiB, database ` +
      `${fmt(x.database_mib)} MiB), made through claim_step + complete_steps. One connection claims and completes 50 at a time ` +
      `for ${x.window_s} s alone, then ${x.window_s} s while another calls \`purge_tasks(interval '0', null, 1000)\` in a loop. ` +
      'The two connections share two cores; a claim waiting on a purge\'s lock would show as a max near a purge call\'s length.', '');
    const row = (label, w) => [label, fmt(w.tasks_per_s), ms(w.round_ms.p50), ms(w.round_ms.p99), ms(w.round_ms.max)];
    p(table(['claims', 'tasks/s', 'round p50 ms', 'p99 ms', 'max ms'], [
      row('alone', x.claims_alone), row('during purge', x.claims_during_purge)]), '');
    p(table(['purge', 'tasks/s', 'call p50 ms', 'p99 ms', 'max ms'], [
      ['beside the claims', fmt(x.purge_tasks_per_s_during_claims), ms(x.purge_call_ms_during_claims.p50), ms(x.purge_call_ms_during_claims.p99), ms(x.purge_call_ms_during_claims.max)],
      ['alone (the rest)', fmt(x.purge_tasks_per_s_alone), ms(x.purge_call_ms_alone.p50), ms(x.purge_call_ms_alone.p99), ms(x.purge_call_ms_alone.max)],
    ]), '');
    p(`Afterwards: ${fmt(x.after.orphaned_events)} events of purged tasks, ${fmt(x.after.invariant_violations)} rows from \`check_invariants()\`.`, '');
  }

  if (s.adk) {
    p(...adkMarkdown(s.adk, '## 10. '));
  }

  if (s.output) {
    p(...outputMarkdown(s.output, '## 11. '));
  }

  p('## Measurement conditions', '');
  const checks = r.quiet_checks ?? [];
  const busy = checks.filter((x) => x.foreign_percent >= 15);
  p('Before each timed window the harness runs CHECKPOINT and sync and waits until processes other than its own use less ' +
    'than 15% of the CPU (up to 2 minutes per window, 15 in all); during each window it records the CPU time of other processes ("others" above; ' +
    'this machine may be shared with other sessions). ' +
    `${checks.length} windows; ${busy.length === 0 ? 'all started on a quiet machine' : `${busy.length} started busy: ${busy.map((x) => `${x.label} (${x.foreign_percent}%)`).join(', ')}`}.`, '');
  const windows = collectCpu(r).filter((x) => x.cpu.foreign_percent >= 10);
  if (windows.length > 0) {
    p(`Windows during which other processes used 10% of the CPU or more: ${windows.map((x) => `${x.label} (${x.cpu.foreign_percent}%)`).join(', ')}.`, '');
  }
  p('AgentRuntime backlogs are submitted through the public API (`submit_tasks`, 10,000 tasks per call over two connections), ' +
    'as a client enqueues a burst.', '');
  if (Object.keys(r.errors ?? {}).length > 0) {
    p('', '## Sections that failed', '');
    for (const [k, v] of Object.entries(r.errors)) {
      p(`- ${k}: ${esc(v.split('\n')[0])}`);
    }
    p('');
  }
  if ((r.run_notes ?? []).length > 0) {
    p('', '## Notes on this run', '');
    for (const note of r.run_notes) {
      p(`- ${esc(note)}`);
    }
    p('');
  }
  return lines.join('\n') + '\n';
}

/** The streamed output section (append_output, read_output); exported like adkMarkdown. */
export function outputMarkdown(x, numbering = '## ') {
  const lines = [];
  const p = (...l) => lines.push(...l);
  p(`${numbering}Streamed output`, '');
  p(`\`append_output\` of a token-sized text chunk (${esc(x.chunk)}), one call and one commit per chunk (fsync on), ` +
    `each connection on a step of its own (a fresh one every ${fmt(x.step_chunks)} chunks), for ${x.seconds} s; ` +
    'then one chunk at a time to one task, read by a listener (LISTEN agent_runtime_task_output, then `read_output` after its last sequence).', '');
  p(table(['connections', 'chunks/s', 'CPU busy (others)'], Object.values(x.throughput).map((t) =>
    [fmt(t.connections), `**${fmt(t.chunks_per_s)}**`, cpu(t.cpu)])), '');
  const l = x.latency;
  p(table(['what', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'samples'], [
    [l.received.label, `**${ms(l.received.p50)}**`, ms(l.received.p90), ms(l.received.p99), ms(l.received.max), fmt(l.received.n)],
    [l.append_call.label, ms(l.append_call.p50), ms(l.append_call.p90), ms(l.append_call.p99), ms(l.append_call.max), fmt(l.append_call.n)],
  ]), '');
  return lines;
}

/**
 * The ADK section: the runtime's session service against ADK's DatabaseSessionService. Exported
 * so that a run of this section alone can be pasted into docs/benchmarks.md as its own section.
 */
export function adkMarkdown(x, numbering = '## ') {
  const lines = [];
  const p = (...l) => lines.push(...l);
  p(`${numbering}ADK sessions: AgentRuntimeSessionService against ADK's DatabaseSessionService`, '');
  p('ADK\'s real `Runner` and `LlmAgent` (@google/adk 2.0.0) over an offline model that answers at once, so the numbers are ' +
    'the session service\'s (and ADK\'s own work, the same for both). A turn: ' + `${esc(x.turn)}. ` +
    'Sessions run their turns one after another, concurrently with each other; the history grows with every turn, and ' +
    '`getSession` reads all of it. `AgentRuntimeSessionService` (clients/typescript) makes one SQL call per operation ' +
    '(`get_session`, `append_event`); ADK\'s `DatabaseSessionService` is MikroORM 6.6.16 on `@mikro-orm/postgresql`, ' +
    'tables created by its own `init()`. Both on the same cluster, each in its own database, one after the other, ' +
    `with a pool of ${x.pool_connections} connections; errors are turns that threw.`, '');
  const rows = x.series.map((e) => [e.label, fmt(e.sessions), fmt(e.turns), fmt(e.turns_per_s, 1),
    ms(e.append_ms.p50), ms(e.append_ms.p99), ms(e.get_session_ms.p50), ms(e.get_session_ms.p99), fmt(e.errors)]);
  p(table(['session service', 'sessions', 'turns', 'turns/s', 'appendEvent p50 ms', 'p99 ms', 'getSession p50 ms', 'p99 ms', 'errors'], rows), '');
  const ratios = Object.entries(x).filter(([k]) => k.startsWith('ratio_x'))
    .map(([k, v]) => `${fmt(v, 2)}× at ${k.slice('ratio_x'.length)} session${k === 'ratio_x1' ? '' : 's'}`);
  if (ratios.length > 0) {
    p(`AgentRuntime's turns/s over DatabaseSessionService's: ${ratios.join(', ')}.`, '');
  }
  return lines;
}

/** How the claim statement read the steps, and what was flagged anywhere in the claim. */
function accessPath(plan, batch) {
  if (!plan || plan.error) return plan?.error ? `(no plan: ${plan.error})` : '—';
  const main = plan.statements.find((x) => /with candidates/i.test(x.query)) ??
    plan.statements.find((x) => /for update skip locked/i.test(x.query));
  const parts = [];
  for (const scan of main?.scans ?? []) {
    if (scan.node === 'Sort' || scan.index === 'steps_pkey' || !(scan.table === 'steps' || /^steps_/.test(scan.index ?? ''))) continue;
    // a Bitmap Index Scan names the index its Bitmap Heap Scan reads; sequential scans are flagged
    if (scan.node === 'Bitmap Heap Scan' || /Seq Scan/.test(scan.node)) continue;
    parts.push(`${scan.node.replace('Bitmap Index Scan', 'Bitmap Scan')} ${scan.index} (${fmt(scan.rows)} row${scan.rows === 1 ? '' : 's'})`);
  }
  const flags = plan.flags ?? [];
  return [...parts, ...flags.map((f) => `**${f.replace(/(\d{4,})/g, (d) => fmt(Number(d)))}**`)].join('; ') || '—';
}

const mem = (x) => (x ? `${fmt(x.rss_mib, 0)} / ${fmt(x.hwm_mib, 0)} MiB` : '—');
const cpu = (x) => (x ? `${x.busy_percent}% (${x.foreign_percent}%)` : '—');

function collectCpu(r) {
  const out = [];
  const s = r.sections ?? {};
  for (const x of Object.values(s.host?.systems ?? {})) if (x.cpu) out.push({ label: x.label, cpu: x.cpu });
  for (const x of s.sql?.rows ?? []) if (x.cpu) out.push({ label: `sql ${x.connections} x ${x.batch}`, cpu: x.cpu });
  for (const x of Object.values(s.submit?.rows ?? {})) if (x.cpu) out.push({ label: x.label, cpu: x.cpu });
  for (const x of Object.values(s.latency?.series ?? {})) if (x.cpu) out.push({ label: x.label, cpu: x.cpu });
  for (const [size, x] of Object.entries(s.claim?.sizes ?? {})) {
    for (const [phase, y] of Object.entries(x.phases)) if (y.cpu) out.push({ label: `claim ${size} ${phase.replace('_', ' ')}`, cpu: y.cpu });
  }
  if (s.recovery?.cpu) out.push({ label: 'recovery', cpu: s.recovery.cpu });
  if (s.fairness?.cpu_fair) out.push({ label: 'fairness', cpu: s.fairness.cpu_fair });
  if (s.purge?.claims_during_purge?.cpu) out.push({ label: 'purge', cpu: s.purge.claims_during_purge.cpu });
  for (const x of Object.values(s.output?.throughput ?? {})) if (x.cpu) out.push({ label: `output ${x.connections} connections`, cpu: x.cpu });
  if (s.output?.latency?.received?.cpu) out.push({ label: 'output latency', cpu: s.output.latency.received.cpu });
  return out;
}

function targets(r) {
  const s = r.sections ?? {};
  const rows = [];
  const yes = (ok) => (ok == null ? '—' : ok ? 'yes' : '**no**');
  const host = s.host?.systems;
  if (host?.agent_runtime && host?.graphile_batched) {
    const ratio = host.agent_runtime.tasks_per_s / host.graphile_batched.tasks_per_s;
    rows.push(['host >= graphile-worker batched (x1.0)', `${fmt(host.agent_runtime.tasks_per_s)} vs ${fmt(host.graphile_batched.tasks_per_s)}/s (x${fmt(ratio, 2)})`, yes(ratio >= 1)]);
  }
  if (s.sql?.rows?.length) {
    const best = s.sql.rows.reduce((a, b) => (b.tasks_per_s > a.tasks_per_s ? b : a));
    rows.push(['SQL alone close to the ~17k/s model (counted as >= 15k/s)', `best ${fmt(best.tasks_per_s)}/s (${best.connections} x ${best.batch})`, yes(best.tasks_per_s >= 15_000)]);
  }
  const lat = s.latency?.series;
  if (lat?.agent_runtime_claimed && lat?.graphile_default) {
    const g = Math.min(lat.graphile_default.p50, lat.graphile_batched?.p50 ?? Infinity);
    rows.push(['submit -> claimed p50 <= graphile-worker add_job -> handler p50', `${ms(lat.agent_runtime_claimed.p50)} vs ${ms(g)} ms`, yes(lat.agent_runtime_claimed.p50 <= g)]);
  }
  if (lat?.agent_runtime_completed) {
    rows.push(['submit -> completed p50 <= 5 ms (echo)', `${ms(lat.agent_runtime_completed.p50)} ms`, yes(lat.agent_runtime_completed.p50 <= 5)]);
  }
  const sub = s.submit?.rows;
  if (sub?.submit_tasks) {
    rows.push(['bulk submit_tasks >= 20k tasks/s', sub.submit_tasks.skipped ? `skipped: ${esc(sub.submit_tasks.skipped)}` : `${fmt(sub.submit_tasks.tasks_per_s)}/s`,
      sub.submit_tasks.skipped ? '—' : yes(sub.submit_tasks.tasks_per_s >= 20_000)]);
  }
  if (sub?.submit_task && sub?.add_job) {
    const ratio = sub.submit_task.tasks_per_s / sub.add_job.tasks_per_s;
    rows.push(['submit_task one per statement >= 2x add_job', `${fmt(sub.submit_task.tasks_per_s)} vs ${fmt(sub.add_job.tasks_per_s)}/s (x${fmt(ratio, 2)})`, yes(ratio >= 2)]);
  }
  if (s.fairness?.tenants) {
    const off = Math.max(...s.fairness.tenants.map((t) => Math.abs(t.share_percent - t.share_expected_percent) / t.share_expected_percent));
    rows.push(['fair share: every tenant within 25% of its weighted share while all have work', `worst ${fmt(off * 100, 0)}% off`, yes(off <= 0.25)]);
  }
  if (s.output?.latency?.received) {
    rows.push(['streamed output: chunk commit -> client receipt p50 <= 5 ms', `${ms(s.output.latency.received.p50)} ms`, yes(s.output.latency.received.p50 <= 5)]);
  }
  const c = s.claim;
  if (c?.ratio_large_to_small) {
    const worst = Math.max(...Object.values(c.ratio_large_to_small).filter((v) => v != null));
    rows.push([`claim cost at ${fmt(c.sizes_compared[1])} <= 1.2x that at ${fmt(c.sizes_compared[0])}`, `worst x${fmt(worst, 2)}`, yes(worst <= 1.2)]);
  }
  return rows;
}

// --- svg -------------------------------------------------------------------------------------------

// chart labels: the peers' settings in a word (the tables have them in full)
const short = (label) => label.replace('(local queue 500, batched completion)', '(batched)').replace('(default settings)', '(default)');

const OURS = '#2563eb';
const OURS_LIGHT = '#93c5fd';
const PEER = '#f59e0b';
const PEER_LIGHT = '#fcd34d';

function svg(r) {
  const s = r.sections ?? {};
  const panels = [];
  const host = s.host?.systems ?? {};
  const throughput = Object.entries(host).map(([k, x]) => ({ label: short(x.label), value: x.tasks_per_s, ours: k === 'agent_runtime' }));
  if (s.sql?.rows?.length) {
    const best = s.sql.rows.reduce((a, b) => (b.tasks_per_s > a.tasks_per_s ? b : a));
    throughput.push({ label: `SQL only, best (${best.connections} conn x ${best.batch})`, value: best.tasks_per_s, ours: true });
  }
  if (throughput.length) panels.push({ title: 'Processing no-op tasks (tasks/s, higher is better)', bars: throughput, unit: '/s' });
  const submit = Object.values(s.submit?.rows ?? {}).filter((x) => !x.skipped)
    .map((x) => ({ label: x.label, value: x.tasks_per_s, ours: x.label.startsWith('agent_runtime') }));
  if (submit.length) panels.push({ title: 'Submitting (tasks/s, higher is better)', bars: submit, unit: '/s' });
  const lat = Object.values(s.latency?.series ?? {}).filter((x) => x.p50 != null && x.samples_ms)
    .map((x) => ({ label: short(x.label.replace(/ -> handler start$/, ' -> handler')), value: x.p50, value2: x.p99, ours: x.label.startsWith('agent-runtime') }));
  if (lat.length) panels.push({ title: 'Latency, one task at a time (ms, p50 and p99, lower is better)', bars: lat, unit: ' ms', pair: ['p50', 'p99'] });
  const claim = [];
  for (const [size, x] of Object.entries(s.claim?.sizes ?? {})) {
    for (const [phase, y] of Object.entries(x.phases)) {
      for (const b of s.claim.batches) {
        if (y.batches[b]?.p50 != null) claim.push({ label: `claim_step(${b}), ${fmt(Number(size))} ready, ${phase.replace('_', ' ')}`, value: y.batches[b].p50, ours: true });
      }
    }
  }
  if (claim.length) panels.push({ title: 'Claim cost (ms, median, lower is better)', bars: claim, unit: ' ms' });

  const width = 960;
  const labelW = 430;
  const barW = 400;
  const rowH = 22;
  let y = 40;
  const parts = [];
  parts.push(`<text x="16" y="26" font-size="16" font-weight="bold">AgentRuntime benchmarks (${esc(r.mode)} run, ${esc((r.machine?.date ?? '').slice(0, 10))}, ${esc(r.machine?.cores ?? '?')} cores, PostgreSQL ${esc(((r.machine?.postgres ?? '').match(/PostgreSQL ([\d.]+)/) ?? [])[1] ?? '?')})</text>`);
  for (const panel of panels) {
    y += 14;
    parts.push(`<text x="16" y="${y + 12}" font-size="14" font-weight="bold">${esc(panel.title)}</text>`);
    if (panel.pair) {
      parts.push(`<text x="${width - 16}" y="${y + 12}" font-size="11" text-anchor="end" fill="#555">dark: ${panel.pair[0]}, light: ${panel.pair[1]}</text>`);
    }
    y += 22;
    const max = Math.max(...panel.bars.map((b) => Math.max(b.value ?? 0, b.value2 ?? 0)), 1e-9);
    for (const b of panel.bars) {
      const w = (v) => Math.max(1, (v / max) * barW);
      parts.push(`<text x="${labelW - 8}" y="${y + 15}" font-size="12" text-anchor="end">${esc(b.label)}</text>`);
      if (b.value2 != null) {
        parts.push(`<rect x="${labelW}" y="${y + 3}" width="${w(b.value2).toFixed(1)}" height="${rowH - 6}" fill="${b.ours ? OURS_LIGHT : PEER_LIGHT}"/>`);
      }
      parts.push(`<rect x="${labelW}" y="${y + 3}" width="${w(b.value).toFixed(1)}" height="${rowH - 6}" fill="${b.ours ? OURS : PEER}"/>`);
      const text = b.value2 != null ? `${ms(b.value)} / ${ms(b.value2)}${panel.unit}` : `${panel.unit === ' ms' ? ms(b.value) : fmt(b.value)}${panel.unit}`;
      parts.push(`<text x="${labelW + w(Math.max(b.value, b.value2 ?? 0)) + 6}" y="${y + 15}" font-size="12">${esc(text)}</text>`);
      y += rowH;
    }
  }
  y += 16;
  parts.push(`<text x="16" y="${y}" font-size="11" fill="#555">blue: AgentRuntime, orange: graphile-worker / pg-boss. Generated by scripts/bench.sh; numbers in benchmarks.md / benchmarks.json.</text>`);
  const height = y + 14;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">\n` +
    `<rect width="${width}" height="${height}" fill="white"/>\n${parts.join('\n')}\n</svg>\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, out] = process.argv.slice(2);
  writeReport(JSON.parse(readFileSync(file, 'utf8')), out ?? path.dirname(file));
}
