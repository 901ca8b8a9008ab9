// ADK's real Runner and LlmAgent (over an offline scripted model, test/fixtures/adk-app.mjs) on
// the runtime's sessions, artifacts and memory: a conversation continued by a new Runner in
// another process, tools that write app:/user:/session/temp: state and save artifacts, memory
// found after addSessionToMemory; and the services' own contracts (paging, concurrency, parts).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createEvent, createEventActions, InMemorySessionService, type Session } from '@google/adk';
import {
  AgentRuntimeArtifactService, AgentRuntimeClient, AgentRuntimeMemoryService, AgentRuntimeSessionService, MEMORIZED_THROUGH_KEY,
} from '../src/index.js';
// @ts-expect-error the fixture is plain JavaScript, shared with the second process
import { buildRunner, replies, turn } from './fixtures/adk-app.mjs';
import { adminPool, connectionString, scalar, unique } from './support.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const sessionService = new AgentRuntimeSessionService({ connectionString });
const artifactService = new AgentRuntimeArtifactService({ connectionString });
const memoryService = new AgentRuntimeMemoryService({ connectionString });
const client = new AgentRuntimeClient({ connectionString });
const admin = adminPool();
const services = { sessionService, artifactService, memoryService };
afterAll(async () => {
  await Promise.all([sessionService.end(), artifactService.end(), memoryService.end(), client.end(), admin.end()]);
});

type Events = { content?: { parts?: { text?: string }[] } }[];

describe('ADK on the runtime', () => {
  it('continues a conversation in a new process, with a new Runner, from what the database holds', async () => {
    const appName = unique('adk-chat');
    const runner = buildRunner(appName, services);
    const session = await sessionService.createSession({ appName, userId: 'ann' });
    expect(replies(await turn(runner, 'ann', session.id, 'hello there'))).toEqual(['heard 1: hello there']);
    const toolTurn = await turn(runner, 'ann', session.id, 'call remember_preferences {"name":"Ann","topic":"trains"}') as Events;
    // the tool saw its temp: key during the invocation
    expect(replies(toolTurn)).toEqual(['remember_preferences said {"ok":true,"temp":"only for this invocation"}']);

    const { stdout } = await promisify(execFile)(process.execPath,
      [path.join(here, 'fixtures', 'continue-conversation.mjs'), appName, 'ann', session.id, 'what did I say?'],
      { env: { ...process.env, AGENT_RUNTIME_TEST_CONNECTION: connectionString }, timeout: 60_000 });
    const continued = JSON.parse(stdout) as { replies: string[]; state: Record<string, unknown>; events: number };

    expect(continued.replies).toEqual(
      ['heard 3: hello there | call remember_preferences {"name":"Ann","topic":"trains"} | what did I say?']);
    expect(continued.state).toEqual({ 'app:greeting': 'hello', 'user:name': 'Ann', topic: 'trains' });
    // user, reply; user, function call, function response, reply; user, reply
    expect(continued.events).toBe(8);
    const stored = await client.getSession(appName, 'ann', session.id);
    expect(stored.events.map((e) => e.author)).toEqual(['user', 'assistant', 'user', 'assistant', 'assistant', 'assistant', 'user', 'assistant']);
  });

  it('keeps app: state for the app, user: state for the user, session keys for the session, temp: nowhere', async () => {
    const appName = unique('adk-state');
    const runner = buildRunner(appName, services);
    const first = await sessionService.createSession({ appName, userId: 'ann', state: { 'temp:initial': 1, mood: 'ok' } });
    expect(first.state).toEqual({ mood: 'ok' });
    await turn(runner, 'ann', first.id, 'call remember_preferences {"name":"Ann","topic":"trains"}');

    const readState = async (userId: string) => {
      const other = await sessionService.createSession({ appName, userId });
      const events = await turn(runner, userId, other.id, 'call read_state {}') as Events;
      return JSON.parse(replies(events)[0]!.replace(/^read_state said /, '')) as Record<string, unknown>;
    };
    expect(await readState('ann')).toEqual({ name: 'Ann', greeting: 'hello', topic: null, temp: null });
    expect(await readState('bob')).toEqual({ name: null, greeting: 'hello', topic: null, temp: null });

    const temp = await scalar<number>(admin,
      "select count(*)::int from agent_runtime.session_events where session_id = $1 and event::text like '%temp:%'", [first.id]);
    expect(temp).toBe(0);
    const reread = await sessionService.getSession({ appName, userId: 'ann', sessionId: first.id });
    expect(reread!.state).toEqual({ 'app:greeting': 'hello', 'user:name': 'Ann', topic: 'trains', mood: 'ok' });
    // the events come back as ADK wrote them, the state delta without its temp: key
    const toolEvent = reread!.events.find((e) => Object.keys(e.actions.stateDelta).length > 0)!;
    expect(toolEvent.actions.stateDelta).toEqual({ 'user:name': 'Ann', 'app:greeting': 'hello', topic: 'trains' });
    expect(toolEvent.invocationId).toMatch(/.+/);
    expect(toolEvent.timestamp).toBeGreaterThan(1e12);
  });

  it('saves artifacts from tools: versions from 0, user: files seen from the user\'s other sessions', async () => {
    const appName = unique('adk-files');
    const runner = buildRunner(appName, services);
    const session = await sessionService.createSession({ appName, userId: 'ann' });
    expect(replies(await turn(runner, 'ann', session.id, 'call save_note {"text":"first"}'))).toEqual(['save_note said {"note":0,"avatar":0}']);
    expect(replies(await turn(runner, 'ann', session.id, 'call save_note {"text":"second"}'))).toEqual(['save_note said {"note":1,"avatar":1}']);

    const key = { appName, userId: 'ann', sessionId: session.id };
    expect(await artifactService.listArtifactKeys(key)).toEqual(['note.txt', 'user:avatar.png']);
    expect(await artifactService.loadArtifact({ ...key, filename: 'note.txt' })).toEqual({ text: 'second' });
    expect(await artifactService.loadArtifact({ ...key, filename: 'note.txt', version: 0 })).toEqual({ text: 'first' });
    expect(await artifactService.loadArtifact({ ...key, filename: 'note.txt', version: 7 })).toBeUndefined();
    expect(await artifactService.loadArtifact({ ...key, filename: 'user:avatar.png', version: 0 }))
      .toEqual({ inlineData: { mimeType: 'image/png', data: Buffer.from('png of first').toString('base64') } });
    expect(await artifactService.listVersions({ ...key, filename: 'note.txt' })).toEqual([0, 1]);

    const other = await sessionService.createSession({ appName, userId: 'ann' });
    expect(await artifactService.listArtifactKeys({ ...key, sessionId: other.id })).toEqual(['user:avatar.png']);
    const stranger = await sessionService.createSession({ appName, userId: 'bob' });
    expect(await artifactService.listArtifactKeys({ appName, userId: 'bob', sessionId: stranger.id })).toEqual([]);
    // the same files, through the SQL API (as the .NET host and A2A see them)
    const stored = await client.loadArtifact(appName, 'ann', session.id, 'note.txt');
    expect([stored.mime_type, stored.content.toString()]).toEqual(['text/plain', 'second']);
    // the runner recorded the saves in the events' artifactDelta
    const reread = await sessionService.getSession({ appName, userId: 'ann', sessionId: session.id });
    expect(reread!.events.some((e) => e.actions.artifactDelta['note.txt'] === 1)).toBe(true);
  });

  it('finds memories after addSessionToMemory, from a tool of another session, and adds each event once', async () => {
    const appName = unique('adk-memory');
    const runner = buildRunner(appName, services);
    const session = await sessionService.createSession({ appName, userId: 'ann' });
    await turn(runner, 'ann', session.id, 'I always book window seats on night trains.');
    await turn(runner, 'ann', session.id, 'My sister lives in Porto.');
    const count = () => scalar<number>(admin, 'select count(*)::int from agent_runtime.memories where app_name = $1', [appName]);

    await memoryService.addSessionToMemory(session);
    const added = await count();
    expect(added).toBeGreaterThanOrEqual(4); // two user texts and two replies
    await memoryService.addSessionToMemory(session);
    expect(await count()).toBe(added);
    const progress = await sessionService.getSession({ appName, userId: 'ann', sessionId: session.id });
    expect(progress!.state[MEMORIZED_THROUGH_KEY]).toBe(4);

    const found = await memoryService.searchMemory({ appName, userId: 'ann', query: 'window seats trains' });
    expect(found.memories[0]).toMatchObject({ author: 'user', content: { role: 'user', parts: [{ text: 'I always book window seats on night trains.' }] } });
    expect(new Date(found.memories[0]!.timestamp!).getTime()).toBeGreaterThan(0);
    expect((await memoryService.searchMemory({ appName, userId: 'bob', query: 'window seats' })).memories).toEqual([]);

    const later = await sessionService.createSession({ appName, userId: 'ann' });
    const recalled = replies(await turn(runner, 'ann', later.id, 'call recall {"query":"where does my sister live"}'))[0]!;
    expect(recalled).toContain('My sister lives in Porto.');

    await turn(runner, 'ann', session.id, 'One more thing: I like tea.');
    await memoryService.addSessionToMemory(progress!);
    expect(await count()).toBe(added + 2);
  });

  it('adds the events of a session another service keeps as they are', async () => {
    const appName = unique('adk-foreign');
    const inMemory = new InMemorySessionService();
    const runner = buildRunner(appName, { sessionService: inMemory, memoryService });
    const session = await inMemory.createSession({ appName, userId: 'ann' });
    await turn(runner, 'ann', session.id, 'Remember that the meeting moved to Thursday.');
    await memoryService.addSessionToMemory((await inMemory.getSession({ appName, userId: 'ann', sessionId: session.id }))!);
    const found = await memoryService.searchMemory({ appName, userId: 'ann', query: 'meeting Thursday' });
    expect(found.memories[0]!.content.parts![0]!.text).toBe('Remember that the meeting moved to Thursday.');
  });

  it('pages listSessions as ADK defines it', async () => {
    const appName = unique('adk-list');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await sessionService.createSession({ appName, userId: i < 4 ? 'ann' : 'bob', state: { n: i } })).id);
    }
    // touch the first: it becomes the most recently updated
    const first = (await sessionService.getSession({ appName, userId: 'ann', sessionId: ids[0]! }))!;
    await sessionService.appendEvent({ session: first, event: createEvent({ invocationId: 'i', author: 'user' }) });

    const all = await sessionService.listSessions({ appName });
    expect(all).toMatchObject({ page: 1, limit: 5, totalItems: 5, totalPages: 1 });
    expect(new Set(all.sessions.map((s) => s.id))).toEqual(new Set(ids));
    expect(all.sessions.every((s) => s.events.length === 0)).toBe(true);

    const desc = await sessionService.listSessions({ appName, userId: 'ann', order: 'desc' });
    expect(desc.sessions.map((s) => s.id)).toEqual([ids[0], ids[3], ids[2], ids[1]]);
    const page2 = await sessionService.listSessions({ appName, userId: 'ann', order: 'asc', limit: 3, page: 2 });
    expect(page2).toMatchObject({ page: 2, limit: 3, totalItems: 4, totalPages: 2 });
    expect(page2.sessions.map((s) => s.id)).toEqual([ids[0]]);
    expect(page2.sessions[0]!.state).toEqual({ n: 0 });
    const byOffset = await sessionService.listSessions({ appName, userId: 'ann', order: 'asc', limit: 2, offset: 1 });
    expect(byOffset).toMatchObject({ page: 1, totalItems: 4, totalPages: 2 });
    expect(byOffset.sessions.map((s) => s.id)).toEqual([ids[2], ids[3]]);
    const past = await sessionService.listSessions({ appName, limit: 2, page: 9 });
    expect(past).toMatchObject({ sessions: [], page: 9, totalItems: 5, totalPages: 3 });
    const offsetOnly = await sessionService.listSessions({ appName, userId: 'ann', order: 'asc', offset: 3 });
    expect(offsetOnly).toMatchObject({ page: 1, limit: 4, totalItems: 4, totalPages: 1 });
    expect(offsetOnly.sessions.map((s) => s.id)).toEqual([ids[0]]);
    expect((await sessionService.listSessions({ appName: unique('empty') }))).toMatchObject({ sessions: [], totalItems: 0, totalPages: 0 });
  });

  it('gets, filters and deletes sessions; a missing one is undefined', async () => {
    const appName = unique('adk-get');
    const session = await sessionService.createSession({ appName, userId: 'ann', sessionId: unique('chosen-id') });
    for (let i = 0; i < 3; i++) {
      await sessionService.appendEvent({ session, event: createEvent({ invocationId: 'inv', author: 'user', timestamp: 1_000 * (i + 1),
        content: { role: 'user', parts: [{ text: `m${i}` }] } }) });
    }
    await sessionService.appendEvent({ session, event: createEvent({ invocationId: 'inv', author: 'user', partial: true }) });
    const texts = (s: Session | undefined) => s!.events.map((e) => e.content?.parts?.[0]?.text);
    expect(texts(await sessionService.getSession({ appName, userId: 'ann', sessionId: session.id }))).toEqual(['m0', 'm1', 'm2']);
    expect(texts(await sessionService.getSession({ appName, userId: 'ann', sessionId: session.id, config: { numRecentEvents: 2 } })))
      .toEqual(['m1', 'm2']);
    expect(texts(await sessionService.getSession({ appName, userId: 'ann', sessionId: session.id, config: { afterTimestamp: 2_000 } })))
      .toEqual(['m1', 'm2']);
    expect(await sessionService.getSession({ appName, userId: 'bob', sessionId: session.id })).toBeUndefined();
    await sessionService.deleteSession({ appName, userId: 'ann', sessionId: session.id });
    expect(await sessionService.getSession({ appName, userId: 'ann', sessionId: session.id })).toBeUndefined();
    await sessionService.deleteSession({ appName, userId: 'ann', sessionId: session.id }); // already gone: nothing to do
  });

  it('brings in what another writer appended to the same session in between', async () => {
    const appName = unique('adk-two-writers');
    const created = await sessionService.createSession({ appName, userId: 'ann' });
    const a = (await sessionService.getSession({ appName, userId: 'ann', sessionId: created.id }))!;
    const b = (await sessionService.getSession({ appName, userId: 'ann', sessionId: created.id }))!;
    const event = (text: string, delta: Record<string, unknown>) => createEvent({ invocationId: 'i', author: 'user',
      content: { role: 'user', parts: [{ text }] }, actions: createEventActions({ stateDelta: delta }) });

    await sessionService.appendEvent({ session: a, event: event('from a', { 'user:a': 1, shared: 'a' }) });
    b.state['temp:b'] = true; // as a tool's ctx.state.set does during an invocation
    await sessionService.appendEvent({ session: b, event: event('from b', { shared: 'b', 'temp:b': true }) });

    expect(b.events.map((e) => e.content?.parts?.[0]?.text)).toEqual(['from a', 'from b']);
    expect(b.state).toEqual({ 'user:a': 1, shared: 'b', 'temp:b': true });
    const stored = (await sessionService.getSession({ appName, userId: 'ann', sessionId: created.id }))!;
    expect(stored.state).toEqual({ 'user:a': 1, shared: 'b' });
  });

  it('stores text, inline bytes and file references, with custom metadata', async () => {
    const appName = unique('adk-parts');
    const { id: sessionId } = await sessionService.createSession({ appName, userId: 'ann' });
    const key = { appName, userId: 'ann', sessionId };
    await artifactService.saveArtifact({ ...key, filename: 'ref', artifact: { fileData: { fileUri: 'gs://bucket/report.pdf', mimeType: 'application/pdf' } },
      customMetadata: { source: 'upload' } });
    expect(await artifactService.loadArtifact({ ...key, filename: 'ref' }))
      .toEqual({ fileData: { fileUri: 'gs://bucket/report.pdf', mimeType: 'application/pdf' } });
    expect(await artifactService.getArtifactVersion({ ...key, filename: 'ref' })).toEqual({
      version: 0, mimeType: 'application/pdf', customMetadata: { source: 'upload' },
      canonicalUri: `artifact:${encodeURIComponent(sessionId)}/ref?version=0`,
    });
    // a text/plain file saved by another client loads as text, anything else as inline bytes
    await client.saveArtifact(appName, 'ann', sessionId, 'plain.txt', 'from SQL', 'text/plain; charset=utf-8');
    await client.saveArtifact(appName, 'ann', sessionId, 'data.json', '{"a":1}', 'application/json');
    expect(await artifactService.loadArtifact({ ...key, filename: 'plain.txt' })).toEqual({ text: 'from SQL' });
    expect(await artifactService.loadArtifact({ ...key, filename: 'data.json' }))
      .toEqual({ inlineData: { mimeType: 'application/json', data: Buffer.from('{"a":1}').toString('base64') } });
    expect(await artifactService.listArtifactVersions({ ...key, filename: 'data.json' })).toHaveLength(1);
    await artifactService.deleteArtifact({ ...key, filename: 'data.json' });
    await artifactService.deleteArtifact({ ...key, filename: 'data.json' });
    expect(await artifactService.listVersions({ ...key, filename: 'data.json' })).toEqual([]);
    await expect(artifactService.saveArtifact({ ...key, filename: 'empty', artifact: {} })).rejects.toThrow(TypeError);
  });
});
