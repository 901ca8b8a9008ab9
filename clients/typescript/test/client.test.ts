// Every call of AgentRuntimeClient against the real SQL API: arguments reach the functions with
// their types (jsonb, arrays, bytea, real[], uuid), and rows come back typed (numbers for
// bigint, Dates for timestamps, Buffers for bytea). The SQL's own rules are the .NET tests'.
import { randomUUID } from 'node:crypto';
import {
  AgentRuntimeClient, AlreadyExistsError, InvalidTaskStateError, LockNotHeldError, NotFoundError, SessionConflictError,
  StaleLeaseError, localEmbedding, taskTag,
} from '../src/client/index.js';
import { adminPool, connectionString, scalar, unique } from './support.js';

const client = new AgentRuntimeClient({ connectionString });
const admin = adminPool();
afterAll(async () => {
  await client.end();
  await admin.end();
});

async function newAgent(): Promise<string> {
  const name = unique('ts-agent');
  await client.registerAgent(name, { description: 'a test agent' });
  return name;
}

describe('tasks', () => {
  it('submits, reads, lists, cancels and retries', async () => {
    const agent = await newAgent();
    const appName = unique('app');
    const key = unique('key');
    const submitted = await client.submitTask(agent, { text: 'hi' },
      { app_name: appName, user_id: 'ann', priority: 3, metadata: { batch: 7 }, idempotency_key: key });
    expect(submitted).toMatchObject({ status: 'submitted', created: true });
    const again = await client.submitTask(agent, { text: 'hi' }, { app_name: appName, user_id: 'ann', idempotency_key: key });
    expect(again).toEqual({ ...submitted, created: false });

    const task = await client.getTask(submitted.task_id, { historyLength: 5 });
    expect(task).toMatchObject({ target: agent, status: 'submitted', input: { text: 'hi' }, priority: 3, metadata: { batch: 7 },
      app_name: appName, user_id: 'ann' });
    expect(task.created_at).toBeInstanceOf(Date);
    expect(task.steps).toHaveLength(1);
    expect(task.history).toHaveLength(1);
    expect((await client.getA2aTask(submitted.task_id)).kind).toBe('task');

    const listed = await client.listTasks({ target: agent, metadata: { batch: 7 } }, { pageSize: 10 });
    expect(listed.map((t) => t.task_id)).toEqual([submitted.task_id]);
    expect(typeof listed[0]!.page_token).toBe('string');

    await client.cancelTask(submitted.task_id, 'changed my mind');
    expect((await client.getTask(submitted.task_id)).cancel_reason).toBe('changed my mind');
    await expect(client.cancelTask(submitted.task_id)).rejects.toBeInstanceOf(InvalidTaskStateError);
    await client.retryTask(submitted.task_id);
    expect((await client.getTask(submitted.task_id)).status).toBe('submitted');
    const timeline = await client.taskTimeline(submitted.task_id);
    expect(timeline.map((t) => t.type)).toContain('task.canceled');
    expect(await client.cancelTasks({ target: agent }, 'bulk')).toBe(1);
  });

  it('submits in bulk, in order, with per-task options', async () => {
    const agent = await newAgent();
    const results = await client.submitTasks([
      { target: agent, input: { n: 1 } },
      { target: agent, input: 'a string input is JSON too' as never, options: { priority: 2 } },
      { target: agent, input: [1, 2, 3] as never },
    ]);
    expect(results).toHaveLength(3);
    const inputs = await Promise.all(results.map(async (r) => (await client.getTask(r.task_id)).input));
    expect(inputs).toEqual([{ n: 1 }, 'a string input is JSON too', [1, 2, 3]]);
  });

  it('sends a message to a task and reads the event log', async () => {
    const agent = await newAgent();
    const position = await client.currentEventPosition();
    const { task_id } = await client.submitTask(agent);
    const appended = await client.sendMessage(task_id, { role: 'user', parts: [{ kind: 'text', text: 'more' }] });
    expect(appended.sequence).toBe(2);
    // read_events holds back events while an older transaction of the cluster is still open
    // (other test files run beside this one): read until they are all there.
    const events = await vi.waitFor(async () => {
      const read = await client.readEvents({ afterPosition: position, taskId: task_id });
      expect(read.map((e) => e.type)).toEqual(expect.arrayContaining(['task.submitted', 'step.ready', 'session.event_appended']));
      return read;
    }, { timeout: 30_000, interval: 20 });
    expect(typeof events[0]!.id).toBe('number');
  });

  it('waits for a task by its tag and reads it when it finishes', async () => {
    const agent = await newAgent();
    const { task_id } = await client.submitTask(agent, { x: 1 });
    const tag = await scalar<string>(admin, "select left(encode(sha256(convert_to($1::uuid::text, 'UTF8')), 'hex'), 16)", [task_id]);
    expect(taskTag(task_id)).toBe(tag);
    expect(taskTag(task_id.toUpperCase())).toBe(tag);

    const waiting = client.waitForTask(task_id, { timeoutMs: 30_000 });
    const working = client.waitForTask(task_id, { until: (t) => t.status !== 'submitted', timeoutMs: 30_000 });
    const [step] = (await client.claimSteps('ts-waiter', [agent])).steps;
    expect((await working).status).toBe('working');
    await client.completeStep(step!.step_id, step!.lease_token, { done: true });
    const done = await waiting;
    expect(done).toMatchObject({ status: 'completed', output: { done: true } });

    const never = await newAgent();
    const pending = await client.submitTask(never);
    await expect(client.waitForTask(pending.task_id, { timeoutMs: 100 })).rejects.toThrow(/did not reach/);
    const aborted = new AbortController();
    const wait = client.waitForTask(pending.task_id, { signal: aborted.signal });
    aborted.abort(new Error('gave up'));
    await expect(wait).rejects.toThrow('gave up');
  });
});

describe('steps', () => {
  it('claims in a batch with the time until the next due step, completes and fails in batches', async () => {
    const agent = await newAgent();
    const later = new Date(Date.now() + 60_000);
    await client.submitTasks([{ target: agent }, { target: agent }, { target: agent }, { target: agent, options: { run_at: later } }]);
    const claim = await client.claimSteps('ts-w1', [agent], { maxSteps: 10, leaseSeconds: 30 });
    expect(claim.steps).toHaveLength(3);
    // the next thing due for these agents: at the latest the end of the leases just taken (30 s), before
    // the delayed task (other tests' leases count too, and may have passed)
    expect(claim.untilDueMs).toBeLessThanOrEqual(30_000);
    const [a, b, c] = claim.steps as [typeof claim.steps[0], typeof claim.steps[0], typeof claim.steps[0]];
    expect(a.lease_expires_at).toBeInstanceOf(Date);
    expect(typeof a.step_id).toBe('number');

    // a lease is matched by its token: a's is extended, a stranger's token is not
    expect(await client.heartbeat('ts-w1', 30, [
      { stepId: a.step_id, leaseToken: a.lease_token },
      { stepId: b.step_id, leaseToken: randomUUID() },
      { stepId: 987654321, leaseToken: randomUUID() },
    ])).toEqual([{ step_id: b.step_id, task_id: b.task_id, reason: 'lease_lost' }, { step_id: 987654321, task_id: null, reason: 'lease_lost' }]);
    const completed = await client.completeSteps([
      { stepId: a.step_id, leaseToken: a.lease_token, output: 'text output' },
      { stepId: b.step_id, leaseToken: b.lease_token, output: { n: 2 }, effects: { state_delta: { seen: true } } },
    ]);
    expect(completed).toEqual([
      { step_id: a.step_id, outcome: 'completed', code: null, message: null },
      { step_id: b.step_id, outcome: 'completed', code: null, message: null },
    ]);
    expect((await client.getTask(a.task_id)).output).toBe('text output');
    const failed = await client.failSteps([{ stepId: c.step_id, leaseToken: c.lease_token, error: { message: 'boom' }, retryable: false }]);
    expect(failed).toEqual([{ step_id: c.step_id, outcome: 'failed', code: null, message: null }]);
    expect(await client.nextDueAt([agent])).toBeInstanceOf(Date);
  });

  it('refuses one invalid result of a batch and settles the others', async () => {
    const agent = await newAgent();
    await client.submitTasks([{ target: agent }, { target: agent }, { target: agent }]);
    const { steps } = await client.claimSteps('ts-w3', [agent], { maxSteps: 3 });
    const [a, b, c] = [...steps].sort((x, y) => x.step_id - y.step_id) as [typeof steps[0], typeof steps[0], typeof steps[0]];
    const completed = await client.completeSteps([
      { stepId: a.step_id, leaseToken: a.lease_token, output: { ok: true } },
      { stepId: b.step_id, leaseToken: b.lease_token, output: null, effects: { bogus: 1 } as never },
    ]);
    expect(completed).toEqual([
      { step_id: a.step_id, outcome: 'completed', code: null, message: null },
      { step_id: b.step_id, outcome: 'refused', code: 'AR003', message: expect.stringContaining('bogus') },
    ]);
    expect((await client.getTask(b.task_id)).status).toBe('failed');
    expect((await client.getTask(b.task_id)).error).toMatchObject({ code: 'invalid_result', sqlstate: 'AR003' });
    const failed = await client.failSteps([{ stepId: c.step_id, leaseToken: c.lease_token, error: [] as never }]);
    expect(failed).toEqual([{ step_id: c.step_id, outcome: 'refused', code: 'AR001', message: expect.stringContaining('JSON object') }]);
  });

  it('yields, rejects, releases; a stale token is refused', async () => {
    const agent = await newAgent();
    const tasks = await client.submitTasks([{ target: agent }, { target: agent }, { target: agent }]);
    const { steps } = await client.claimSteps('ts-w2', [agent], { maxSteps: 3 });
    const [a, b, c] = steps as [typeof steps[0], typeof steps[0], typeof steps[0]];
    expect(await client.yieldStep(a.step_id, a.lease_token, 'input-required', { payload: { question: 'which?' } })).toBe('yielded');
    expect((await client.getTask(a.task_id)).status).toBe('input-required');
    expect(await client.rejectStep(b.step_id, b.lease_token, { why: 'not english' })).toBe('rejected');
    expect(await client.releaseSteps([{ stepId: c.step_id, leaseToken: c.lease_token }])).toEqual([{ step_id: c.step_id, outcome: 'released' }]);
    await expect(client.completeStep(c.step_id, c.lease_token, {})).rejects.toBeInstanceOf(StaleLeaseError);
    await expect(client.failStep(c.step_id, randomUUID(), { message: 'x' })).rejects.toBeInstanceOf(StaleLeaseError);
    expect(tasks).toHaveLength(3);
    await client.registerWorker('ts-w2', [agent], { lang: 'ts' });
  });
});

describe('sessions', () => {
  it('creates, appends with state scopes, reads, lists, pages and deletes', async () => {
    const appName = unique('sessions');
    const s = await client.createSession(appName, 'ann', { state: { 'app:theme': 'dark', topic: 'x' } });
    expect(s.state).toEqual({ 'app:theme': 'dark', topic: 'x' });
    await expect(client.createSession(appName, 'ann', { sessionId: s.session_id })).rejects.toBeInstanceOf(AlreadyExistsError);
    const appended = await client.appendEvent(appName, 'ann', s.session_id,
      { author: 'user', actions: { state_delta: { 'user:name': 'Ann', 'temp:draft': 'y' } } }, { expectedSequence: 0 });
    expect(appended.state).toEqual({ 'app:theme': 'dark', 'user:name': 'Ann', topic: 'x' });
    await expect(client.appendEvent(appName, 'ann', s.session_id, { author: 'user' }, { expectedSequence: 0 }))
      .rejects.toBeInstanceOf(SessionConflictError);
    const read = await client.getSession(appName, 'ann', s.session_id, { numRecentEvents: 5 });
    expect(read.last_sequence).toBe(1);
    expect(read.events[0]!.actions).toEqual({ state_delta: { 'user:name': 'Ann' } });

    const second = await client.createSession(appName, 'bob');
    expect((await client.listSessions(appName)).map((r) => r.session_id)).toEqual([second.session_id, s.session_id]);
    expect((await client.listSessions(appName, { userId: 'ann' })).map((r) => r.session_id)).toEqual([s.session_id]);
    const page = await client.pageSessions(appName, { maxSessions: 1, skip: 1, orderBy: 'desc' });
    expect(page).toHaveLength(1);
    expect(page[0]).toMatchObject({ session_id: s.session_id, total: 2, state: { 'user:name': 'Ann' } });

    await client.deleteSession(appName, 'bob', second.session_id);
    await expect(client.getSession(appName, 'bob', second.session_id)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('artifacts and memory', () => {
  it('saves versions from 0, loads bytes, lists and deletes', async () => {
    const appName = unique('files');
    const { session_id } = await client.createSession(appName, 'ann');
    expect(await client.saveArtifact(appName, 'ann', session_id, 'a.bin', new Uint8Array([0, 1, 2, 255]), 'application/octet-stream',
      { note: 1 })).toBe(0);
    expect(await client.saveArtifact(appName, 'ann', session_id, 'a.bin', 'text now', 'text/plain')).toBe(1);
    expect(await client.saveArtifact(appName, 'ann', session_id, 'user:p.json', '{}', 'application/json')).toBe(0);
    const v0 = await client.loadArtifact(appName, 'ann', session_id, 'a.bin', 0);
    expect([...v0.content]).toEqual([0, 1, 2, 255]);
    expect(v0.metadata).toEqual({ note: 1 });
    expect((await client.loadArtifact(appName, 'ann', session_id, 'a.bin')).content.toString()).toBe('text now');
    expect(await client.listArtifactKeys(appName, 'ann', session_id)).toEqual(['a.bin', 'user:p.json']);
    expect((await client.listArtifactVersions(appName, 'ann', session_id, 'a.bin')).map((v) => v.version)).toEqual([0, 1]);
    await client.deleteArtifact(appName, 'ann', session_id, 'a.bin');
    await expect(client.loadArtifact(appName, 'ann', session_id, 'a.bin')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('adds and searches memories with real[] embeddings, and deletes them', async () => {
    const appName = unique('memory');
    const dimensions = await client.memoryDimensions();
    const id = await client.addMemory(appName, 'ann', 'prefers window seats', localEmbedding('prefers window seats', dimensions),
      { kind: 'preference' });
    await client.addMemory(appName, 'ann', 'lives in Porto', localEmbedding('lives in Porto', dimensions));
    const byMeaning = await client.searchMemory(appName, 'ann', { embedding: localEmbedding('window seat please', dimensions) }, { k: 1 });
    expect(byMeaning.map((m) => m.memory_id)).toEqual([id]);
    expect(byMeaning[0]!.score).toBeGreaterThan(0.3);
    const filtered = await client.searchMemory(appName, 'ann', { text: 'Porto' }, { filter: { kind: 'preference' } });
    expect(filtered).toEqual([]);
    await client.deleteMemory(id);
    await expect(client.deleteMemory(id)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('push configs, feedback, workflows, events, schedules, queues, locks, settings', () => {
  it('keeps push configs and feedback of a task', async () => {
    const agent = await newAgent();
    const { task_id } = await client.submitTask(agent);
    const configId = await client.setPushConfig(task_id, 'https://example.com/hook', { token: 't', auth: { schemes: ['Bearer'] } });
    expect((await client.getPushConfig(task_id, configId))).toMatchObject({ url: 'https://example.com/hook', token: 't' });
    expect(await client.listPushConfigs(task_id)).toHaveLength(1);
    await client.deletePushConfig(task_id, configId);
    await expect(client.getPushConfig(task_id, configId)).rejects.toBeInstanceOf(NotFoundError);
    const feedbackId = await client.storeFeedback(task_id, { rating: 5, text: 'good', metadata: { by: 'ann' } });
    expect((await client.getFeedback(task_id)).map((f) => f.feedback_id)).toEqual([feedbackId]);
    expect(Array.isArray(await client.claimPushDeliveries('ts-pusher', 5, 30))).toBe(true);
  });

  it('defines workflows, lists targets and emits durable events', async () => {
    const agent = await newAgent();
    const name = unique('wf');
    expect(await client.defineWorkflow(name, { steps: [{ key: 'a', agent }] }, 'one step')).toBe(1);
    expect((await client.listWorkflows()).some((w) => w.name === name)).toBe(true);
    expect((await client.listTargets(name))[0]).toMatchObject({ name, kind: 'workflow' });
    const event = unique('paid');
    const app = unique('app');
    const emitted = await client.emitEvent(event, { amount: 3 }, app);
    expect(emitted).toEqual({ amount: 3 }); // the event's payload (the first emit's wins)
    expect(await client.emitEvent(event, { amount: 4 }, app)).toEqual({ amount: 3 });
  });

  it('schedules tasks, configures queues, takes locks and changes settings', async () => {
    const agent = await newAgent();
    const name = unique('nightly');
    expect(await client.scheduleTask(name, '0 3 * * *', agent, { x: 1 }, { app_name: unique('app') })).toBeInstanceOf(Date);
    expect((await client.listSchedules()).some((s) => s.name === name)).toBe(true);
    expect(await client.unscheduleTask(name, (await client.listSchedules()).find((s) => s.name === name)!.app_name)).toBe(true);

    const queue = unique('q');
    expect(await client.configureQueue(queue, { paused: true })).toMatchObject({ queue, paused: true });
    expect((await client.listQueues()).some((q) => q.queue === queue)).toBe(true);
    await client.setFairnessWeight(unique('tenant'), 2);

    const resource = unique('lock');
    const grant = await client.acquireLock(resource, 'me', { ttlSeconds: 30 });
    expect(typeof grant.token).toBe('number');
    expect((await client.acquireLock(resource, 'someone else')).token).toBeNull();
    expect(await client.extendLock(resource, grant.token!, grant.secret!, 60)).toBeInstanceOf(Date);
    await client.releaseLock(resource, grant.token!, grant.secret!);
    await expect(client.releaseLock(resource, grant.token!, grant.secret!)).rejects.toBeInstanceOf(LockNotHeldError);

    const settings = await client.getSettings();
    expect(typeof settings).toBe('object');
    expect(await client.checkInvariants()).toEqual([]);
    expect(typeof (await client.reapExpired())).toBe('number');
    expect(await client.purgeTasks('100 years')).toBe(0);
    expect(await client.purgeGraphThreads('100 years')).toBe(0);
    expect((await client.listTenantBindings()).every((b) => typeof b.role_name === 'string')).toBe(true);
  });
});
