// The tenant rules through the TypeScript services, as a login bound to one app: its graph
// threads and sessions are its app's, another app's are not there, writing there is refused; and
// graph threads age out by the retention setting.
import { AgentRuntimeClient, AgentRuntimeSaver, AgentRuntimeSessionService, NotPermittedError } from '../src/index.js';
import { emptyCheckpoint } from '@langchain/langgraph-checkpoint';
import { adminPool, connectionString, Logins, scalar, unique } from './support.js';

const admin = adminPool();
const logins = new Logins(admin);
const client = new AgentRuntimeClient({ connectionString });
afterAll(async () => {
  await logins.drop();
  await client.end();
  await admin.end();
});

const meta = { source: 'input' as const, step: -1, parents: {} };

describe('tenants', () => {
  it('keeps a bound role\'s graph threads and sessions in its app', async () => {
    const login = await logins.create('agent_runtime_client');
    const ours = unique('ours');
    const theirs = unique('theirs');
    expect(await client.bindTenant(login.name, ours)).toBe(true);
    try {
      const mine = new AgentRuntimeSaver({ connectionString: login.connectionString, appName: ours });
      const intruder = new AgentRuntimeSaver({ connectionString: login.connectionString, appName: theirs });
      const owner = new AgentRuntimeSaver({ connectionString, appName: theirs });
      try {
        await owner.put({ configurable: { thread_id: 't' } }, emptyCheckpoint(), meta, {});
        await mine.put({ configurable: { thread_id: 't' } }, emptyCheckpoint(), meta, {});
        expect(await mine.getTuple({ configurable: { thread_id: 't' } })).toBeDefined();
        expect(await intruder.getTuple({ configurable: { thread_id: 't' } })).toBeUndefined();
        const rejected = await intruder.put({ configurable: { thread_id: 't' } }, emptyCheckpoint(), meta, {}).catch((e: unknown) => e);
        expect(rejected).toBeInstanceOf(NotPermittedError);
        expect((rejected as NotPermittedError).code).toBe('AR070');
        await intruder.deleteThread('t'); // not there for this role: nothing happens
        expect(await owner.getTuple({ configurable: { thread_id: 't' } })).toBeDefined();
      } finally {
        await Promise.all([mine.end(), intruder.end(), owner.end()]);
      }

      const sessions = new AgentRuntimeSessionService({ connectionString: login.connectionString });
      try {
        const session = await sessions.createSession({ appName: ours, userId: 'u' });
        expect((await sessions.listSessions({ appName: ours })).sessions.map((s) => s.id)).toEqual([session.id]);
        await client.createSession(theirs, 'u');
        expect(await sessions.listSessions({ appName: theirs })).toMatchObject({ sessions: [], totalItems: 0 });
        await expect(sessions.createSession({ appName: theirs, userId: 'u' })).rejects.toBeInstanceOf(NotPermittedError);
      } finally {
        await sessions.end();
      }
    } finally {
      expect(await client.unbindTenant(login.name, ours)).toBe(true);
    }
  });

  it('deletes graph threads nobody wrote to for longer than retention.graph_threads_after', async () => {
    const appName = unique('lg-retention');
    const saver = new AgentRuntimeSaver({ connectionString, appName });
    try {
      await saver.put({ configurable: { thread_id: 'idle' } }, emptyCheckpoint(), meta, {});
      await saver.put({ configurable: { thread_id: 'busy' } }, emptyCheckpoint(), meta, {});
      await admin.query("update agent_runtime.graph_threads set updated_at = now() - interval '400 days' where app_name = $1", [appName]);
      await saver.putWrites({ configurable: { thread_id: 'busy', checkpoint_ns: '',
        checkpoint_id: (await saver.getTuple({ configurable: { thread_id: 'busy' } }))!.checkpoint.id } }, [['x', 1]], 'task');

      await client.setSetting('retention.graph_threads_after', 'P365D');
      try {
        let purged: number | null;
        do {
          purged = await client.applyRetention(1000);
        } while (purged !== null && purged >= 1000);
      } finally {
        await client.setSetting('retention.graph_threads_after', null);
      }
      expect(await saver.getTuple({ configurable: { thread_id: 'idle' } })).toBeUndefined();
      expect(await saver.getTuple({ configurable: { thread_id: 'busy' } })).toBeDefined();
      expect(await scalar<number>(admin, 'select count(*)::int from agent_runtime.graph_threads where app_name = $1', [appName])).toBe(1);
    } finally {
      await saver.end();
    }
  });
});
