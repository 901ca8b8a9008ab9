// Section "adk": ADK's session service on AgentRuntime (clients/typescript,
// AgentRuntimeSessionService) against ADK's own DatabaseSessionService (MikroORM on
// @mikro-orm/postgresql), both under ADK's real Runner and LlmAgent, on the same cluster, each in
// a database of its own, one after the other.
//
// An agent turn is what a chat turn with one tool call costs the session service: Runner.runAsync
// reads the session (getSession, with its whole history), appends the user's message, the model's
// function call, the tool's response (with a state delta: a session key and a user: key) and the
// model's answer (4 appendEvent calls). The model is offline and answers at once, so the numbers
// are the session service's (and ADK's own overhead, the same for both). Each of `sessions`
// concurrent sessions runs `turns` turns one after another; turns/s is all turns over the wall
// time, append latency is each appendEvent call's. Both services get a pool of 20 connections.
// Errors: turns that threw (they are counted, and the session goes on with its next turn).
import pg from 'pg';
import { createDb, dropDb, pgConfig, env, now, summarize, round, log, settle, cpuMeter } from './lib.mjs';
import { freshDb } from './ours.mjs';

const POOL = 20;

export async function adkSection(ctx) {
  const adk = await import('@google/adk');
  const { DatabaseSessionService } = await import('@google/adk/sessions/database');
  const { PostgreSqlDriver } = await import('@mikro-orm/postgresql');
  const { AgentRuntimeSessionService } = await import('./agent-runtime-client/dist/index.js');
  const turns = ctx.quick ? 8 : 25;
  const configs = [{ sessions: 1, turns: turns * 2 }, { sessions: 20, turns }];
  const out = { turn: '1 user message, 1 function call, 1 tool response with a state delta, 1 answer: 1 getSession + 4 appendEvent',
    pool_connections: POOL, series: [] };

  const systems = [
    {
      key: 'agent_runtime',
      label: 'AgentRuntimeSessionService (clients/typescript)',
      async open(db) {
        await freshDb(db);
        const pool = new pg.Pool({ ...pgConfig(db), max: POOL });
        pool.on('error', () => {});
        return { service: new AgentRuntimeSessionService({ pool }), close: () => pool.end() };
      },
    },
    {
      key: 'adk_database',
      label: 'ADK DatabaseSessionService (MikroORM, @mikro-orm/postgresql)',
      async open(db) {
        await createDb(db);
        const service = new DatabaseSessionService({
          driver: PostgreSqlDriver, dbName: db, host: env.host, port: env.port, user: 'postgres',
          pool: { min: 0, max: POOL }, debug: false,
        });
        await service.init(); // creates its tables
        return { service, close: () => service.orm.close(true) };
      },
    },
  ];

  for (const config of configs) {
    for (const system of systems) {
      const db = `bench_adk_${system.key}_${config.sessions}`;
      const { service, close } = await system.open(db);
      try {
        await turnsOf(adk, service, { sessions: 2, turns: 3, appName: 'warmup' }); // JIT, pools, plans
        await settle(`adk ${system.key} x${config.sessions}`);
        const meter = cpuMeter();
        const result = await turnsOf(adk, service, { ...config, appName: 'bench' });
        const cpu = meter.stop();
        const entry = {
          system: system.key, label: system.label, sessions: config.sessions, turns_per_session: config.turns,
          turns: result.turns, errors: result.errors, error_samples: result.errorSamples,
          seconds: round(result.seconds, 2), turns_per_s: round(result.turns / result.seconds, 1),
          append_ms: summarize(result.appends), get_session_ms: summarize(result.gets), cpu,
        };
        out.series.push(entry);
        log(`adk ${system.key} x${config.sessions}: ${entry.turns_per_s} turns/s, append p50 ${entry.append_ms.p50} ms ` +
          `p99 ${entry.append_ms.p99} ms, ${entry.errors} errors`);
      } finally {
        await close().catch(() => {});
        await dropDb(db);
      }
    }
  }
  for (const config of configs) {
    const ours = out.series.find((e) => e.system === 'agent_runtime' && e.sessions === config.sessions);
    const theirs = out.series.find((e) => e.system === 'adk_database' && e.sessions === config.sessions);
    if (ours && theirs) {
      out[`ratio_x${config.sessions}`] = round(ours.turns_per_s / theirs.turns_per_s, 2);
    }
  }
  return out;
}

/** Runs `turns` turns in each of `sessions` sessions at once; times every appendEvent and getSession. */
async function turnsOf(adk, service, { sessions, turns, appName }) {
  const appends = [];
  const gets = [];
  const timed = Object.create(service);
  timed.appendEvent = async (request) => {
    const t0 = now();
    try {
      return await service.appendEvent(request);
    } finally {
      appends.push(now() - t0);
    }
  };
  timed.getSession = async (request) => {
    const t0 = now();
    try {
      return await service.getSession(request);
    } finally {
      gets.push(now() - t0);
    }
  };
  const runner = new adk.Runner({ appName, agent: agent(adk), sessionService: timed });
  const ids = [];
  for (let i = 0; i < sessions; i++) {
    ids.push((await service.createSession({ appName, userId: `user-${i % 5}` })).id);
  }
  let errors = 0;
  const errorSamples = [];
  let done = 0;
  const t0 = now();
  await Promise.all(ids.map(async (sessionId, i) => {
    for (let n = 0; n < turns; n++) {
      try {
        const message = { role: 'user', parts: [{ text: `call note {"n": ${n}}` }] };
        for await (const event of runner.runAsync({ userId: `user-${i % 5}`, sessionId, newMessage: message })) {
          void event;
        }
        done++;
      } catch (error) {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(String(error?.message ?? error).slice(0, 300));
      }
    }
  }));
  return { turns: done, errors, errorSamples, seconds: (now() - t0) / 1000, appends, gets };
}

function agent(adk) {
  class OfflineModel extends adk.BaseLlm {
    constructor() {
      super({ model: 'offline' });
    }
    async *generateContentAsync(request) {
      const last = request.contents?.at(-1);
      const response = last?.parts?.find((p) => p.functionResponse)?.functionResponse;
      if (response) {
        yield { content: { role: 'model', parts: [{ text: `noted ${JSON.stringify(response.response)}` }] } };
        return;
      }
      const text = (last?.parts ?? []).map((p) => p.text ?? '').join('');
      const call = /^call (\w+) (.*)$/s.exec(text);
      yield { content: { role: 'model', parts: [{ functionCall: { name: call[1], args: JSON.parse(call[2]) } }] } };
    }
    async connect() {
      throw new Error('offline');
    }
  }
  return new adk.LlmAgent({
    name: 'bench_agent',
    model: new OfflineModel(),
    instruction: 'Take notes.',
    tools: [new adk.FunctionTool({
      name: 'note',
      description: 'Notes a number.',
      parameters: { type: 'OBJECT', properties: { n: { type: 'INTEGER' } } },
      execute: async ({ n }, toolContext) => {
        toolContext.state.set('last_note', n);
        toolContext.state.set('user:notes_seen', n);
        return { ok: true, n };
      },
    })],
  });
}
