/**
 * The SQL API as typed calls: each method is one call of an agent_runtime function
 * (docs/sql-api.md), made as the connection's role, so the database's roles and tenant rules
 * apply unchanged. AR errors reject with the typed errors of ./errors.ts.
 */
import type pg from 'pg';
import { Database, type ConnectionOptions, run } from './database.js';
import { TaskWatcher, type WaitOptions } from './notifications.js';
import type {
  AbandonedStep, AppendedEvent, ArtifactContent, ArtifactVersion, Checkpoint, Claim, ClaimedPushDelivery, ClaimedStep,
  CompleteOutcome, EventInfo, FailOutcome, Feedback, GraphCheckpointRow, InvariantViolation, Json, JsonObject,
  LockGrant, MemoryMatch, OutputChunk, PushConfig, QueueInfo, ReportOutcome, ScheduleInfo, SessionInfo, SessionPageEntry, SessionSummary,
  SessionWithEvents, StepCompletion, StepEffects, StepFailure, StepLease, StepOutcome, SubmitOptions, SubmittedTask, Target,
  TaskDetails, TaskFilters, TaskSummary, TenantBinding, TimelineEntry, WorkflowInfo,
} from './types.js';

/** A JSON value as a jsonb parameter: undefined is SQL NULL, everything else its JSON text (null is JSON null). */
export function jsonb(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/** Elements of a jsonb[] parameter, each as JSON text (strings inside arrays would otherwise not be JSON). */
function jsonbArray(values: readonly unknown[]): (string | null)[] {
  return values.map((v) => (v === undefined ? null : JSON.stringify(v)));
}

/** Content for bytea: bytes as they are, text as UTF-8. */
function bytes(content: Uint8Array | string): Buffer {
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
}

export interface SubmitItem {
  target: string;
  input?: Json;
  sessionId?: string | null;
  options?: SubmitOptions;
}

export class AgentRuntimeClient {
  readonly db: Database;
  private watcher: TaskWatcher | undefined;

  constructor(options: ConnectionOptions) {
    this.db = new Database(options);
  }

  /** The pool the client queries (yours, or the one it made from the connection string). */
  get pool(): pg.Pool {
    return this.db.pool;
  }

  /** Closes the task watcher's connection and, when this client made the pool, the pool. */
  async end(): Promise<void> {
    await this.watcher?.close();
    await this.db.end();
  }

  // --- agents, workers, targets --------------------------------------------------------------

  async registerAgent(name: string, options: { description?: string; inputSchema?: JsonObject } = {}): Promise<void> {
    await this.db.query('select agent_runtime.register_agent(name => $1, description => $2, input_schema => $3::jsonb)',
      [name, options.description ?? '', jsonb(options.inputSchema ?? {})]);
  }

  async registerWorker(workerId: string, agents: string[], info: JsonObject = {}): Promise<void> {
    await this.db.query('select agent_runtime.register_worker(worker_id => $1, agents => $2::text[], info => $3::jsonb)',
      [workerId, agents, jsonb(info)]);
  }

  listTargets(target?: string): Promise<Target[]> {
    return this.db.query<Target>('select * from agent_runtime.list_targets(target => $1)', [target ?? null]);
  }

  // --- tasks ---------------------------------------------------------------------------------

  async submitTask(target: string, input: Json = {}, options: SubmitOptions & { sessionId?: string | null } = {}): Promise<SubmittedTask> {
    const { sessionId, ...rest } = options;
    const row = await this.db.one<SubmittedTask>(
      'select * from agent_runtime.submit_task(target => $1, input => $2::jsonb, session_id => $3, options => $4::jsonb)',
      [target, jsonb(input), sessionId ?? null, jsonb(rest)]);
    return row!;
  }

  /** Up to 10000 tasks in one call, all or nothing; one result per item, in order. */
  submitTasks(items: SubmitItem[]): Promise<SubmittedTask[]> {
    return this.db.query<SubmittedTask>(
      'select * from agent_runtime.submit_tasks(targets => $1::text[], inputs => $2::jsonb[], session_ids => $3::text[], options => $4::jsonb[])',
      [items.map((i) => i.target), jsonbArray(items.map((i) => i.input ?? {})),
        items.map((i) => i.sessionId ?? null), jsonbArray(items.map((i) => i.options ?? {}))]);
  }

  async getTask(taskId: string, options: { historyLength?: number } = {}): Promise<TaskDetails> {
    const row = await this.db.one<TaskDetails>('select * from agent_runtime.get_task(task_id => $1::uuid, history_length => $2)',
      [taskId, options.historyLength ?? null]);
    return row!;
  }

  /** The task as A2A's Task object. */
  async getA2aTask(taskId: string, options: { historyLength?: number } = {}): Promise<JsonObject> {
    const row = await this.db.one<{ task: JsonObject }>(
      'select agent_runtime.get_a2a_task(task_id => $1::uuid, history_length => $2) as task', [taskId, options.historyLength ?? null]);
    return row!.task;
  }

  listTasks(filters: TaskFilters = {}, options: { pageSize?: number; pageToken?: string } = {}): Promise<TaskSummary[]> {
    return this.db.query<TaskSummary>('select * from agent_runtime.list_tasks(filters => $1::jsonb, page_size => $2, page_token => $3)',
      [jsonb(filters), options.pageSize ?? 50, options.pageToken ?? null]);
  }

  async cancelTask(taskId: string, reason?: string): Promise<void> {
    await this.db.query('select agent_runtime.cancel_task(task_id => $1::uuid, reason => $2)', [taskId, reason ?? null]);
  }

  /** (admin) Cancels up to maxTasks unfinished tasks that list_tasks(filters) finds; returns how many. */
  async cancelTasks(filters: TaskFilters, reason?: string, maxTasks = 1000): Promise<number> {
    const row = await this.db.one<{ n: number }>(
      'select agent_runtime.cancel_tasks(filters => $1::jsonb, reason => $2, max_tasks => $3) as n', [jsonb(filters), reason ?? null, maxTasks]);
    return row!.n;
  }

  /** Re-runs a failed or canceled task; its re-run steps reuse their checkpoints unless `resetCheckpoints`. */
  async retryTask(taskId: string, options: { resetCheckpoints?: boolean } = {}): Promise<void> {
    await this.db.query('select agent_runtime.retry_task(task_id => $1::uuid, options => $2::jsonb)',
      [taskId, options.resetCheckpoints ? jsonb({ reset_checkpoints: true }) : null]);
  }

  async sendMessage(taskId: string, message: JsonObject): Promise<AppendedEvent> {
    return (await this.db.one<AppendedEvent>('select * from agent_runtime.send_message(task_id => $1::uuid, message => $2::jsonb)',
      [taskId, jsonb(message)]))!;
  }

  taskTimeline(taskId: string): Promise<TimelineEntry[]> {
    return this.db.query<TimelineEntry>('select * from agent_runtime.task_timeline(task_id => $1::uuid)', [taskId]);
  }

  /**
   * Waits until the task is finished (or `until` says so) and returns it as get_task does.
   * Listens on agent_runtime_task_status for the task's tag and reads the task when a
   * notification hints at a change (see ./notifications.ts).
   */
  waitForTask(taskId: string, options: WaitOptions = {}): Promise<TaskDetails> {
    this.watcher ??= new TaskWatcher(this);
    return this.watcher.wait(taskId, options);
  }

  // --- events --------------------------------------------------------------------------------

  readEvents(options: { afterPosition?: string; maxEvents?: number; taskId?: string; fromStart?: boolean } = {}): Promise<EventInfo[]> {
    return this.db.query<EventInfo>(
      'select * from agent_runtime.read_events(after_position => $1, max_events => $2, task_id => $3::uuid, from_start => $4)',
      [options.afterPosition ?? null, options.maxEvents ?? 100, options.taskId ?? null, options.fromStart ?? false]);
  }

  async currentEventPosition(): Promise<string> {
    return (await this.db.one<{ p: string }>('select agent_runtime.current_event_position() as p'))!.p;
  }

  // --- sessions ------------------------------------------------------------------------------

  async createSession(appName: string, userId: string, options: { state?: JsonObject; sessionId?: string } = {}): Promise<SessionInfo> {
    return (await this.db.one<SessionInfo>(
      'select * from agent_runtime.create_session(app_name => $1, user_id => $2, state => $3::jsonb, session_id => $4)',
      [appName, userId, jsonb(options.state ?? {}), options.sessionId ?? null]))!;
  }

  async getSession(appName: string, userId: string, sessionId: string,
    options: { numRecentEvents?: number; afterSequence?: number } = {}): Promise<SessionWithEvents> {
    return (await this.db.one<{ s: SessionWithEvents }>(
      'select agent_runtime.get_session(app_name => $1, user_id => $2, session_id => $3, num_recent_events => $4, after_sequence => $5) as s',
      [appName, userId, sessionId, options.numRecentEvents ?? null, options.afterSequence ?? null]))!.s;
  }

  listSessions(appName: string, options: { userId?: string; pageSize?: number; pageToken?: string } = {}): Promise<SessionSummary[]> {
    return this.db.query<SessionSummary>(
      'select * from agent_runtime.list_sessions(app_name => $1, user_id => $2, page_size => $3, page_token => $4)',
      [appName, options.userId ?? null, options.pageSize ?? 50, options.pageToken ?? null]);
  }

  /** Sessions by last update with offset paging and a total (ADK's listSessions). */
  pageSessions(appName: string, options: { userId?: string; maxSessions?: number; skip?: number; orderBy?: 'asc' | 'desc' } = {}): Promise<SessionPageEntry[]> {
    return this.db.query<SessionPageEntry>(
      'select * from agent_runtime.page_sessions(app_name => $1, user_id => $2, max_sessions => $3, skip => $4, order_by => $5)',
      [appName, options.userId ?? null, options.maxSessions ?? null, options.skip ?? 0, options.orderBy ?? null]);
  }

  async deleteSession(appName: string, userId: string, sessionId: string): Promise<void> {
    await this.db.query('select agent_runtime.delete_session(app_name => $1, user_id => $2, session_id => $3)', [appName, userId, sessionId]);
  }

  /** Appends an event; `expectedSequence` refuses the append (SessionConflictError) when another writer appended first. */
  async appendEvent(appName: string, userId: string, sessionId: string, event: JsonObject,
    options: { expectedSequence?: number } = {}): Promise<AppendedEvent> {
    return (await this.db.one<AppendedEvent>(
      'select * from agent_runtime.append_event(app_name => $1, user_id => $2, session_id => $3, event => $4::jsonb, expected_sequence => $5)',
      [appName, userId, sessionId, jsonb(event), options.expectedSequence ?? null]))!;
  }

  // --- artifacts -----------------------------------------------------------------------------

  /** Saves a new version and returns its number (0 for the first). */
  async saveArtifact(appName: string, userId: string, sessionId: string, filename: string, content: Uint8Array | string,
    mimeType: string, metadata: JsonObject = {}): Promise<number> {
    return (await this.db.one<{ v: number }>(
      'select agent_runtime.save_artifact(app_name => $1, user_id => $2, session_id => $3, filename => $4, content => $5::bytea, mime_type => $6, metadata => $7::jsonb) as v',
      [appName, userId, sessionId, filename, bytes(content), mimeType, jsonb(metadata)]))!.v;
  }

  async loadArtifact(appName: string, userId: string, sessionId: string, filename: string, version?: number): Promise<ArtifactContent> {
    return (await this.db.one<ArtifactContent>(
      'select * from agent_runtime.load_artifact(app_name => $1, user_id => $2, session_id => $3, filename => $4, version => $5)',
      [appName, userId, sessionId, filename, version ?? null]))!;
  }

  async listArtifactKeys(appName: string, userId: string, sessionId: string): Promise<string[]> {
    const rows = await this.db.query<{ k: string }>(
      'select k from agent_runtime.list_artifact_keys(app_name => $1, user_id => $2, session_id => $3) as k', [appName, userId, sessionId]);
    return rows.map((r) => r.k);
  }

  listArtifactVersions(appName: string, userId: string, sessionId: string, filename: string): Promise<ArtifactVersion[]> {
    return this.db.query<ArtifactVersion>(
      'select * from agent_runtime.list_artifact_versions(app_name => $1, user_id => $2, session_id => $3, filename => $4)',
      [appName, userId, sessionId, filename]);
  }

  async deleteArtifact(appName: string, userId: string, sessionId: string, filename: string): Promise<void> {
    await this.db.query('select agent_runtime.delete_artifact(app_name => $1, user_id => $2, session_id => $3, filename => $4)',
      [appName, userId, sessionId, filename]);
  }

  // --- memory --------------------------------------------------------------------------------

  async memoryDimensions(): Promise<number> {
    return (await this.db.one<{ d: number }>('select agent_runtime.memory_dimensions() as d'))!.d;
  }

  async addMemory(appName: string, userId: string, content: string, embedding: ArrayLike<number>, metadata: JsonObject = {}): Promise<number> {
    return (await this.db.one<{ id: number }>(
      'select agent_runtime.add_memory(app_name => $1, user_id => $2, content => $3, embedding => $4::real[], metadata => $5::jsonb) as id',
      [appName, userId, content, Array.from(embedding), jsonb(metadata)]))!.id;
  }

  searchMemory(appName: string, userId: string, query: { embedding?: ArrayLike<number> | null; text?: string | null },
    options: { k?: number; filter?: JsonObject } = {}): Promise<MemoryMatch[]> {
    return this.db.query<MemoryMatch>(
      'select * from agent_runtime.search_memory(app_name => $1, user_id => $2, query_embedding => $3::real[], query_text => $4, k => $5, filter => $6::jsonb)',
      [appName, userId, query.embedding ? Array.from(query.embedding) : null, query.text ?? null, options.k ?? 10, jsonb(options.filter)]);
  }

  async deleteMemory(memoryId: number): Promise<void> {
    await this.db.query('select agent_runtime.delete_memory(memory_id => $1)', [memoryId]);
  }

  /** Submits a task to the host's built-in memorize agent, which turns the session's text into memories. */
  async addSessionToMemory(appName: string, userId: string, sessionId: string): Promise<SubmittedTask> {
    return (await this.db.one<SubmittedTask>(
      'select * from agent_runtime.add_session_to_memory(app_name => $1, user_id => $2, session_id => $3)', [appName, userId, sessionId]))!;
  }

  // --- push notifications and feedback -------------------------------------------------------

  async setPushConfig(taskId: string, url: string, options: { token?: string; auth?: JsonObject; configId?: string } = {}): Promise<string> {
    return (await this.db.one<{ id: string }>(
      'select agent_runtime.set_push_config(task_id => $1::uuid, url => $2, token => $3, auth => $4::jsonb, config_id => $5::uuid) as id',
      [taskId, url, options.token ?? null, jsonb(options.auth), options.configId ?? null]))!.id;
  }

  async getPushConfig(taskId: string, configId: string): Promise<PushConfig> {
    return (await this.db.one<PushConfig>('select * from agent_runtime.get_push_config(task_id => $1::uuid, config_id => $2::uuid)',
      [taskId, configId]))!;
  }

  listPushConfigs(taskId: string): Promise<PushConfig[]> {
    return this.db.query<PushConfig>('select * from agent_runtime.list_push_configs(task_id => $1::uuid)', [taskId]);
  }

  async deletePushConfig(taskId: string, configId: string): Promise<void> {
    await this.db.query('select agent_runtime.delete_push_config(task_id => $1::uuid, config_id => $2::uuid)', [taskId, configId]);
  }

  /** (worker) Leases push deliveries to POST. */
  claimPushDeliveries(workerId: string, maxDeliveries = 10, leaseSeconds = 60): Promise<ClaimedPushDelivery[]> {
    return this.db.query<ClaimedPushDelivery>(
      'select * from agent_runtime.claim_push_deliveries(worker_id => $1, max_deliveries => $2, lease_seconds => $3)',
      [workerId, maxDeliveries, leaseSeconds]);
  }

  async completePushDelivery(deliveryId: number, statusCode: number): Promise<string> {
    return (await this.db.one<{ o: string }>(
      'select agent_runtime.complete_push_delivery(delivery_id => $1, status_code => $2) as o', [deliveryId, statusCode]))!.o;
  }

  async failPushDelivery(deliveryId: number, error: string, statusCode: number | null, attempt: number): Promise<string> {
    return (await this.db.one<{ o: string }>(
      'select agent_runtime.fail_push_delivery(delivery_id => $1, error => $2, status_code => $3, attempt => $4) as o',
      [deliveryId, error, statusCode, attempt]))!.o;
  }

  async storeFeedback(taskId: string, feedback: { rating?: number; text?: string; metadata?: JsonObject }): Promise<number> {
    return (await this.db.one<{ id: number }>(
      'select agent_runtime.store_feedback(task_id => $1::uuid, rating => $2, text => $3, metadata => $4::jsonb) as id',
      [taskId, feedback.rating ?? null, feedback.text ?? null, jsonb(feedback.metadata ?? {})]))!.id;
  }

  getFeedback(taskId: string): Promise<Feedback[]> {
    return this.db.query<Feedback>('select * from agent_runtime.get_feedback(task_id => $1::uuid)', [taskId]);
  }

  // --- workflows and durable events ----------------------------------------------------------

  /** Stores version 1 or the next version of a workflow and returns its number. */
  async defineWorkflow(name: string, definition: JsonObject, description = ''): Promise<number> {
    return (await this.db.one<{ v: number }>(
      'select agent_runtime.define_workflow(name => $1, definition => $2::jsonb, description => $3) as v',
      [name, jsonb(definition), description]))!.v;
  }

  listWorkflows(allVersions = false): Promise<WorkflowInfo[]> {
    return this.db.query<WorkflowInfo>('select * from agent_runtime.list_workflows(all_versions => $1)', [allVersions]);
  }

  /** Records a durable event (the first payload of a name wins) and wakes the steps waiting for it. */
  async emitEvent(name: string, payload: Json = {}, appName?: string): Promise<JsonObject> {
    return (await this.db.one<{ e: JsonObject }>(
      'select agent_runtime.emit_event(name => $1, payload => $2::jsonb, app_name => $3) as e', [name, jsonb(payload), appName ?? null]))!.e;
  }

  // --- schedules and queues ------------------------------------------------------------------

  async scheduleTask(name: string, cron: string, target: string, input: Json = {}, options: JsonObject = {}): Promise<Date> {
    return (await this.db.one<{ t: Date }>(
      'select agent_runtime.schedule_task(name => $1, cron => $2, target => $3, input => $4::jsonb, options => $5::jsonb) as t',
      [name, cron, target, jsonb(input), jsonb(options)]))!.t;
  }

  async unscheduleTask(name: string, appName?: string): Promise<boolean> {
    return (await this.db.one<{ r: boolean }>('select agent_runtime.unschedule_task(name => $1, app_name => $2) as r',
      [name, appName ?? null]))!.r;
  }

  listSchedules(): Promise<ScheduleInfo[]> {
    return this.db.query<ScheduleInfo>('select * from agent_runtime.list_schedules()');
  }

  /** (admin) */
  async configureQueue(queue: string, options: JsonObject): Promise<JsonObject> {
    return (await this.db.one<{ q: JsonObject }>('select agent_runtime.configure_queue(queue => $1, options => $2::jsonb) as q',
      [queue, jsonb(options)]))!.q;
  }

  /** (admin) */
  listQueues(): Promise<QueueInfo[]> {
    return this.db.query<QueueInfo>('select * from agent_runtime.list_queues()');
  }

  /** (admin) */
  async setFairnessWeight(fairKey: string, weight: number): Promise<void> {
    await this.db.query('select agent_runtime.set_fairness_weight(fair_key => $1, weight => $2)', [fairKey, weight]);
  }

  // --- locks ---------------------------------------------------------------------------------

  async acquireLock(resource: string, owner: string, options: { ttlSeconds?: number; secret?: string } = {}): Promise<LockGrant> {
    return (await this.db.one<LockGrant>(
      'select * from agent_runtime.acquire_lock(resource => $1, owner => $2, ttl_seconds => $3, secret => $4::uuid)',
      [resource, owner, options.ttlSeconds ?? 60, options.secret ?? null]))!;
  }

  async extendLock(resource: string, token: number, secret: string, ttlSeconds = 60): Promise<Date> {
    return (await this.db.one<{ t: Date }>(
      'select agent_runtime.extend_lock(resource => $1, token => $2, secret => $3::uuid, ttl_seconds => $4) as t',
      [resource, token, secret, ttlSeconds]))!.t;
  }

  async releaseLock(resource: string, token: number, secret: string): Promise<void> {
    await this.db.query('select agent_runtime.release_lock(resource => $1, token => $2, secret => $3::uuid)', [resource, token, secret]);
  }

  // --- steps (workers) -----------------------------------------------------------------------

  /**
   * Claims up to maxSteps due steps and learns, in the same transaction, how long until
   * something next becomes due for these agents: the transaction's now() is the claim's, so a
   * step that fell due after the claim looked is in the answer, and the wait is measured by
   * PostgreSQL's clock, which decides when work is due.
   */
  async claimSteps(workerId: string, agents: string[],
    options: { maxSteps?: number; leaseSeconds?: number; queues?: string[] | null } = {}): Promise<Claim> {
    return this.db.transaction(async (tx) => {
      const steps = await run<ClaimedStep>(tx,
        'select * from agent_runtime.claim_step(worker_id => $1, agents => $2::text[], max_steps => $3, lease_seconds => $4, queues => $5::text[])',
        [workerId, agents, options.maxSteps ?? 1, options.leaseSeconds ?? 60, options.queues ?? null]);
      const [due] = await run<{ ms: number | null }>(tx,
        'select (extract(epoch from agent_runtime.next_due_at(agents => $1::text[]) - clock_timestamp()) * 1000)::float8 as ms', [agents]);
      return { steps, untilDueMs: due?.ms ?? null };
    });
  }

  async nextDueAt(agents: string[]): Promise<Date | null> {
    return (await this.db.one<{ t: Date | null }>('select agent_runtime.next_due_at(agents => $1::text[]) as t', [agents]))!.t;
  }

  /**
   * Extends the leases of the runs given, each matched by its lease token (when omitted: every run
   * the worker id holds under this role's claims); returns the steps to abandon.
   */
  heartbeat(workerId: string, leaseSeconds = 60, leases?: StepLease[]): Promise<AbandonedStep[]> {
    return this.db.query<AbandonedStep>(
      'select * from agent_runtime.heartbeat(worker_id => $1, lease_seconds => $2, step_ids => $3::bigint[], lease_tokens => $4::uuid[])',
      [workerId, leaseSeconds, leases ? leases.map((l) => l.stepId) : null, leases ? leases.map((l) => l.leaseToken) : null]);
  }

  completeSteps(completions: StepCompletion[]): Promise<ReportOutcome<CompleteOutcome>[]> {
    const anyEffects = completions.some((c) => c.effects != null);
    return this.db.query<ReportOutcome<CompleteOutcome>>(
      'select * from agent_runtime.complete_steps(step_ids => $1::bigint[], lease_tokens => $2::uuid[], outputs => $3::jsonb[], effects => $4::jsonb[])',
      [completions.map((c) => c.stepId), completions.map((c) => c.leaseToken), jsonbArray(completions.map((c) => c.output ?? null)),
        // no effects at all (the common case): NULL, and complete_steps stays one set-based statement
        anyEffects ? jsonbArray(completions.map((c) => c.effects ?? undefined)) : null]);
  }

  async completeStep(stepId: number, leaseToken: string, output: Json = null, effects?: StepEffects): Promise<CompleteOutcome> {
    return (await this.db.one<{ o: CompleteOutcome }>(
      'select agent_runtime.complete_step(step_id => $1, lease_token => $2::uuid, output => $3::jsonb, effects => $4::jsonb) as o',
      [stepId, leaseToken, jsonb(output), jsonb(effects)]))!.o;
  }

  failSteps(failures: StepFailure[]): Promise<ReportOutcome<FailOutcome>[]> {
    return this.db.query<ReportOutcome<FailOutcome>>(
      'select * from agent_runtime.fail_steps(step_ids => $1::bigint[], lease_tokens => $2::uuid[], errors => $3::jsonb[], retryable => $4::boolean[])',
      [failures.map((f) => f.stepId), failures.map((f) => f.leaseToken), jsonbArray(failures.map((f) => f.error)),
        failures.map((f) => f.retryable ?? true)]);
  }

  async failStep(stepId: number, leaseToken: string, error: JsonObject, retryable = true): Promise<FailOutcome> {
    return (await this.db.one<{ o: FailOutcome }>(
      'select agent_runtime.fail_step(step_id => $1, lease_token => $2::uuid, error => $3::jsonb, retryable => $4) as o',
      [stepId, leaseToken, jsonb(error), retryable]))!.o;
  }

  async yieldStep(stepId: number, leaseToken: string, reason: 'input-required' | 'auth-required' | 'timer' | 'event',
    options: { payload?: Json; resumeAt?: Date | string } = {}): Promise<string> {
    return (await this.db.one<{ o: string }>(
      'select agent_runtime.yield_step(step_id => $1, lease_token => $2::uuid, reason => $3, payload => $4::jsonb, resume_at => $5::timestamptz) as o',
      [stepId, leaseToken, reason, jsonb(options.payload), options.resumeAt ?? null]))!.o;
  }

  async rejectStep(stepId: number, leaseToken: string, reason: JsonObject): Promise<string> {
    return (await this.db.one<{ o: string }>('select agent_runtime.reject_step(step_id => $1, lease_token => $2::uuid, reason => $3::jsonb) as o',
      [stepId, leaseToken, jsonb(reason)]))!.o;
  }

  /**
   * Records `output` as the checkpoint `name` of the running attempt and extends the lease as a
   * heartbeat does; resolves to what the step keeps under that name: `output`, or the output
   * recorded first (by this or an earlier attempt), unchanged. A lease moved on rejects with
   * StaleLeaseError (nothing written).
   */
  async saveCheckpoint(stepId: number, leaseToken: string, name: string, output: Json): Promise<Json> {
    return (await this.db.one<{ o: Json }>(
      'select agent_runtime.save_checkpoint(step_id => $1, lease_token => $2::uuid, name => $3, output => $4::jsonb) as o',
      [stepId, leaseToken, name, jsonb(output ?? null)]))!.o;
  }

  /** Every checkpoint of the step, earlier attempts' too, oldest first (the lease must be the step's running one). */
  getCheckpoints(stepId: number, leaseToken: string): Promise<Checkpoint[]> {
    return this.db.query<Checkpoint>('select * from agent_runtime.get_checkpoints(step_id => $1, lease_token => $2::uuid)',
      [stepId, leaseToken]);
  }

  /**
   * Appends a chunk to the task's streamed output (a string is text, any other JSON data) and
   * resolves to its sequence number; `last` closes the artifact, which then becomes an artifact of
   * the task. Listeners of agent_runtime_task_output are told. A lease moved on rejects with
   * StaleLeaseError (nothing written).
   */
  async appendOutput(stepId: number, leaseToken: string, artifact: string, chunk: Json, last = false): Promise<number> {
    return (await this.db.one<{ seq: number }>(
      'select agent_runtime.append_output(step_id => $1, lease_token => $2::uuid, artifact => $3, chunk => $4::jsonb, last => $5) as seq',
      [stepId, leaseToken, artifact, jsonb(chunk ?? null), last]))!.seq;
  }

  /** The task's output after sequence number `afterSeq` (0: from the start), in order, at most maxChunks (1-1000). */
  readOutput(taskId: string, options: { afterSeq?: number; maxChunks?: number } = {}): Promise<OutputChunk[]> {
    return this.db.query<OutputChunk>('select * from agent_runtime.read_output(task_id => $1::uuid, after_seq => $2, max_chunks => $3)',
      [taskId, options.afterSeq ?? 0, options.maxChunks ?? 1000]);
  }

  releaseSteps(steps: { stepId: number; leaseToken: string }[]): Promise<StepOutcome[]> {
    return this.db.query<StepOutcome>('select * from agent_runtime.release_steps(step_ids => $1::bigint[], lease_tokens => $2::uuid[])',
      [steps.map((s) => s.stepId), steps.map((s) => s.leaseToken)]);
  }

  // --- tenants, settings, operations (admin) -------------------------------------------------

  async bindTenant(roleName: string, appName: string): Promise<boolean> {
    return (await this.db.one<{ r: boolean }>('select agent_runtime.bind_tenant(role_name => $1, app_name => $2) as r', [roleName, appName]))!.r;
  }

  async unbindTenant(roleName: string, appName: string): Promise<boolean> {
    return (await this.db.one<{ r: boolean }>('select agent_runtime.unbind_tenant(role_name => $1, app_name => $2) as r', [roleName, appName]))!.r;
  }

  listTenantBindings(): Promise<TenantBinding[]> {
    return this.db.query<TenantBinding>('select * from agent_runtime.list_tenant_bindings()');
  }

  /** A JSON null (or undefined) removes the setting. */
  async setSetting(key: string, value: Json | undefined): Promise<void> {
    await this.db.query('select agent_runtime.set_setting(key => $1, value => $2::jsonb)', [key, jsonb(value ?? null)]);
  }

  async getSettings(): Promise<JsonObject> {
    return (await this.db.one<{ s: JsonObject }>('select agent_runtime.get_settings() as s'))!.s;
  }

  /** Deletes up to batchSize finished root tasks older than olderThan (a PostgreSQL interval, e.g. '30 days'). */
  async purgeTasks(olderThan: string, options: { statuses?: string[]; batchSize?: number } = {}): Promise<number> {
    return (await this.db.one<{ n: number }>(
      'select agent_runtime.purge_tasks(older_than => $1::interval, statuses => $2::text[], batch_size => $3) as n',
      [olderThan, options.statuses ?? null, options.batchSize ?? 1000]))!.n;
  }

  /** Deletes up to batchSize graph threads not written to for longer than olderThan (an interval). */
  async purgeGraphThreads(olderThan: string, batchSize = 1000): Promise<number> {
    return (await this.db.one<{ n: number }>('select agent_runtime.purge_graph_threads(older_than => $1::interval, batch_size => $2) as n',
      [olderThan, batchSize]))!.n;
  }

  /** One batch of the retention an admin set; null when retention is off. */
  async applyRetention(batchSize = 1000): Promise<number | null> {
    return (await this.db.one<{ n: number | null }>('select agent_runtime.apply_retention(batch_size => $1) as n', [batchSize]))!.n;
  }

  async requeueStep(stepId: number): Promise<void> {
    await this.db.query('select agent_runtime.requeue_step(step_id => $1)', [stepId]);
  }

  async reapExpired(): Promise<number> {
    return (await this.db.one<{ n: number }>('select agent_runtime.reap_expired() as n'))!.n;
  }

  checkInvariants(): Promise<InvariantViolation[]> {
    return this.db.query<InvariantViolation>('select * from agent_runtime.check_invariants()');
  }

  // --- graph checkpoints (LangGraph) ---------------------------------------------------------

  async putGraphCheckpoint(key: { appName: string; threadId: string; checkpointNs: string; checkpointId: string },
    checkpoint: JsonObject, metadata: JsonObject, parentCheckpointId: string | null | undefined,
    values: { channel: string; version: string; type: string; blob: Uint8Array | null }[]): Promise<void> {
    await this.db.query(
      'select agent_runtime.put_graph_checkpoint(app_name => $1, thread_id => $2, checkpoint_ns => $3, checkpoint_id => $4, ' +
      'checkpoint => $5::jsonb, metadata => $6::jsonb, parent_checkpoint_id => $7, channels => $8::text[], versions => $9::text[], ' +
      'types => $10::text[], blobs => $11::bytea[])',
      [key.appName, key.threadId, key.checkpointNs, key.checkpointId, jsonb(checkpoint), jsonb(metadata), parentCheckpointId ?? null,
        values.map((v) => v.channel), values.map((v) => v.version), values.map((v) => v.type),
        values.map((v) => (v.blob === null ? null : bytes(v.blob)))]);
  }

  async putGraphWrites(key: { appName: string; threadId: string; checkpointNs: string; checkpointId: string }, taskId: string,
    writes: { idx: number; channel: string; type: string; blob: Uint8Array | null }[], taskPath = ''): Promise<void> {
    await this.db.query(
      'select agent_runtime.put_graph_writes(app_name => $1, thread_id => $2, checkpoint_ns => $3, checkpoint_id => $4, task_id => $5, ' +
      'idxs => $6::integer[], channels => $7::text[], types => $8::text[], blobs => $9::bytea[], task_path => $10)',
      [key.appName, key.threadId, key.checkpointNs, key.checkpointId, taskId, writes.map((w) => w.idx), writes.map((w) => w.channel),
        writes.map((w) => w.type), writes.map((w) => (w.blob === null ? null : bytes(w.blob))), taskPath]);
  }

  async getGraphCheckpoint(appName: string, threadId: string, checkpointNs = '', checkpointId?: string): Promise<GraphCheckpointRow | undefined> {
    return this.db.one<GraphCheckpointRow>(
      'select * from agent_runtime.get_graph_checkpoint(app_name => $1, thread_id => $2, checkpoint_ns => $3, checkpoint_id => $4)',
      [appName, threadId, checkpointNs, checkpointId ?? null]);
  }

  listGraphCheckpoints(appName: string, options: { threadId?: string; checkpointNs?: string; checkpointId?: string;
    filter?: JsonObject; before?: string; maxCheckpoints?: number } = {}): Promise<GraphCheckpointRow[]> {
    return this.db.query<GraphCheckpointRow>(
      'select * from agent_runtime.list_graph_checkpoints(app_name => $1, thread_id => $2, checkpoint_ns => $3, checkpoint_id => $4, ' +
      'filter => $5::jsonb, before => $6, max_checkpoints => $7)',
      [appName, options.threadId ?? null, options.checkpointNs ?? null, options.checkpointId ?? null, jsonb(options.filter),
        options.before ?? null, options.maxCheckpoints ?? null]);
  }

  async deleteGraphThread(appName: string, threadId: string): Promise<boolean> {
    return (await this.db.one<{ r: boolean }>('select agent_runtime.delete_graph_thread(app_name => $1, thread_id => $2) as r',
      [appName, threadId]))!.r;
  }
}
