// The benchmark runner: scripts/bench.sh starts the cluster and calls this with the sections to
// run. Sections run one after another (never two systems at once), each in databases of its own;
// the results JSON is rewritten after every section so that a failure keeps what was measured.
//
//   node run.mjs --sections host,sql,... --out DIR --work DIR [--quick] [--backlog N]
//                [--claim-sizes A,B] [--latency-samples N]
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { log, setLogDir, now, round, quietChecks } from './lib.mjs';
import { prepareTemplate } from './ours.mjs';
import { machineInfo } from './machine.mjs';
import { writeReport } from './report.mjs';

const { values: args } = parseArgs({
  options: {
    sections: { type: 'string' },
    out: { type: 'string' },
    work: { type: 'string' },
    quick: { type: 'boolean', default: false },
    backlog: { type: 'string' },
    'claim-sizes': { type: 'string' },
    'latency-samples': { type: 'string' },
  },
});

const quick = args.quick;
const positive = (v, name) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`${name} must be a positive integer, got ${v}`);
  }
  return n;
};
const ctx = {
  quick,
  backlog: args.backlog ? positive(args.backlog, '--backlog') : (quick ? 5_000 : 40_000),
  claimSizes: args['claim-sizes']
    ? args['claim-sizes'].split(',').map((s) => positive(s, '--claim-sizes'))
    : (quick ? [2_000, 50_000] : [10_000, 1_000_000]),
  latencySamples: args['latency-samples'] ? positive(args['latency-samples'], '--latency-samples') : (quick ? 50 : 200),
  // SQL-only loops: connections x batch, and how long each combination runs at most.
  sqlConnections: [2, 4, 16],
  sqlBatches: [50, 250, 500],
  sqlSeconds: quick ? 3 : 8,
  submitSeconds: quick ? 3 : 10,
  claimRepetitions: quick ? 9 : 31,
  recoveryTasks: quick ? 50 : 200,
  rssInFlight: 1000,
  work: args.work,
};

const SECTIONS = {
  host: ['./section-host.mjs', 'hostSection'],
  sql: ['./section-sql.mjs', 'sqlSection'],
  submit: ['./section-submit.mjs', 'submitSection'],
  latency: ['./section-latency.mjs', 'latencySection'],
  claim: ['./section-claim.mjs', 'claimSection'],
  recovery: ['./section-recovery.mjs', 'recoverySection'],
  rss: ['./section-rss.mjs', 'rssSection'],
  fairness: ['./section-fairness.mjs', 'fairnessSection'],
  purge: ['./section-purge.mjs', 'purgeSection'],
  adk: ['./section-adk.mjs', 'adkSection'],
  output: ['./section-output.mjs', 'outputSection'],
};

async function main() {
  const sections = args.sections.split(',');
  setLogDir(path.join(ctx.work, 'logs'));
  const out = args.out;
  const jsonFile = path.join(out, 'benchmarks.json');
  const started = now();
  const results = {
    title: 'AgentRuntime benchmarks',
    generated_by: 'scripts/bench.sh',
    mode: quick ? 'quick' : 'full',
    started_at: new Date().toISOString(),
    parameters: { ...ctx, work: undefined },
    machine: null,
    agent_runtime: null,
    sections: {},
    errors: {},
  };
  const save = () => {
    results.quiet_checks = quietChecks;
    writeFileSync(jsonFile, JSON.stringify(results, null, 2) + '\n');
  };

  results.machine = await machineInfo();
  results.agent_runtime = await prepareTemplate();
  save();

  for (const name of sections) {
    const [file, fn] = SECTIONS[name];
    log(`=== section ${name}`);
    const t0 = now();
    try {
      const mod = await import(file);
      results.sections[name] = await mod[fn](ctx);
      results.sections[name].section_seconds = round((now() - t0) / 1000, 0);
    } catch (err) {
      log(`section ${name} failed: ${err.stack ?? err}`);
      results.errors[name] = String(err.message ?? err).slice(0, 4000);
    }
    save();
  }
  results.finished_at = new Date().toISOString();
  results.total_seconds = round((now() - started) / 1000, 0);
  save();
  writeReport(results, out);
  log(`done in ${results.total_seconds} s`);
  if (Object.keys(results.errors).length > 0) {
    log(`failed sections: ${Object.keys(results.errors).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  log(err.stack ?? String(err));
  process.exit(1);
});
