/**
 * A worker: runs agents written in TypeScript on the runtime, beside (or instead of) the .NET
 * host. It does what the host does, through the same SQL functions:
 *
 * - claims in batches (claim_step, with next_due_at in the same transaction) when steps of its
 *   agents are due: on a wake-up (LISTEN agent_runtime_wakeup), when something it was told about
 *   falls due, and every pollIntervalMs. Wake-ups are hints (any role can NOTIFY): only a payload
 *   naming one of its agents starts a claim, and a claim that found nothing makes the next wait
 *   MIN_GAP_MS, so spoofed wake-ups cost at most ~50 claims a second;
 * - runs up to `concurrency` steps at once, each with an AbortSignal that fires when its task is
 *   canceled or its lease is lost (heartbeat names the steps to abandon), at its timeout, or when
 *   a drain runs out of time;
 * - heartbeats every leaseSeconds / 3 for the steps it runs;
 * - reports completions and failures in batches (complete_steps, fail_steps): what finishes while
 *   a report is on its way goes in the next one, so batching adds no waiting;
 * - drains on SIGTERM and SIGINT (stop()): stops claiming, lets running steps finish for up to
 *   shutdownGraceMs, then aborts the rest and hands them back (release_steps) for another worker.
 *
 * Inside a run, `ctx.step(name, fn)` records fn's result as a checkpoint (save_checkpoint) that a
 * later attempt of the step gets back without running fn (get_checkpoints, read once per run), and
 * `ctx.appendOutput(artifact, chunk, last)` streams output to the task's readers (append_output).
 * When the runtime refuses either for the lease (StaleLeaseError: the lease expired and moved on,
 * or the task was canceled), the run is over: the error reaches the agent, and whatever the run
 * ends with is dropped, never reported.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { AgentRuntimeClient } from './client.js';
import type { ConnectionOptions } from './database.js';
import { isTransientError, StaleLeaseError } from './errors.js';
import { MIN_GAP_MS, WAKEUP_CHANNEL } from './notifications.js';
import type { ClaimedStep, Json, JsonObject, StepCompletion, StepEffects, StepFailure } from './types.js';

/** What an agent sees of the step it runs. */
export interface StepContext {
  readonly stepId: number;
  readonly taskId: string;
  readonly sessionId: string;
  readonly appName: string;
  readonly userId: string;
  readonly stepKey: string;
  readonly agent: string;
  /** The step's input (a one-step task's: the task's input). */
  readonly input: Json;
  readonly taskInput: Json;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly timeoutSeconds: number | null;
  readonly metadata: JsonObject;
  /** The step's last yield, with the messages sent since (claim_step's resumed_from), or null. */
  readonly resumedFrom: JsonObject | null;
  /** Fires when the task is canceled, the lease is lost, the timeout passes or a drain ends the run; its reason says which. */
  readonly signal: AbortSignal;
  /** The worker's client, as its role: the step's session, artifacts and memory are reachable through it. */
  readonly client: AgentRuntimeClient;
  /** The lease this run holds: what fences everything it writes. */
  readonly leaseToken: string;
  /**
   * Runs `fn` once across the step's attempts: its result (JSON) is recorded as the checkpoint
   * `name`, and a later attempt gets the recorded result without running fn. Resolves to what the
   * runtime keeps (when another run recorded the name first, its result). Each call extends the
   * lease. Give each call a distinct, stable name.
   */
  step<T extends Json>(name: string, fn: (signal: AbortSignal) => Promise<T> | T): Promise<T>;
  /** Streams a chunk (a string is text, any other JSON data) of `artifact`; `last` closes it. Resolves to its sequence number. */
  appendOutput(artifact: string, chunk: Json, last?: boolean): Promise<number>;
}

/** What a run can end with, besides returning an output (a completion) or throwing (a retryable failure). */
export type StepResult =
  | { kind: 'complete'; output: Json; effects?: StepEffects }
  | { kind: 'fail'; error: JsonObject; retryable: boolean }
  | { kind: 'yield'; reason: 'input-required' | 'auth-required' | 'timer' | 'event'; payload?: Json; resumeAt?: Date | string }
  | { kind: 'reject'; reason: JsonObject };

const RESULT = Symbol.for('agent-runtime.step-result');
type Tagged = StepResult & { [RESULT]: true };
const tag = (r: StepResult): Tagged => Object.assign(r, { [RESULT]: true as const });

/** Builders of step results. */
export const StepResults = {
  /** Completes with output, committing effects (state_delta, messages, artifacts, spawn) in the same transaction. */
  complete: (output: Json, effects?: StepEffects): StepResult => tag({ kind: 'complete', output, ...(effects ? { effects } : {}) }),
  fail: (error: JsonObject, options: { retryable?: boolean } = {}): StepResult => tag({ kind: 'fail', error, retryable: options.retryable ?? true }),
  /** Pauses the step: for input or authorization, a durable timer (resumeAt), or a durable event (payload {"name"}). */
  yield: (reason: 'input-required' | 'auth-required' | 'timer' | 'event', options: { payload?: Json; resumeAt?: Date | string } = {}): StepResult =>
    tag({ kind: 'yield', reason, ...options }),
  /** Refuses the task's input: the task ends as rejected, without retries. */
  reject: (reason: JsonObject): StepResult => tag({ kind: 'reject', reason }),
};

function isStepResult(value: unknown): value is StepResult {
  return typeof value === 'object' && value !== null && (value as Partial<Tagged>)[RESULT] === true;
}

/** Thrown by an agent: the step fails for good (no retry). */
export class NonRetryableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NonRetryableError';
  }
}

export interface AgentDefinition {
  name: string;
  description?: string;
  inputSchema?: JsonObject;
  /** Returns the output (or a StepResult); throwing fails the step (retryable unless NonRetryableError). */
  run(ctx: StepContext): Promise<Json | StepResult | void> | Json | StepResult | void;
}

export interface WorkerLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type WorkerOptions = ConnectionOptions & {
  agents: AgentDefinition[];
  workerId?: string;
  /** Steps run at once (default 16). */
  concurrency?: number;
  /** Most steps taken by one claim (default: concurrency). */
  claimBatch?: number;
  leaseSeconds?: number;
  /** Claim at least this often without a wake-up (default 2000 ms). */
  pollIntervalMs?: number;
  /** How long a drain lets running steps finish (default 30000 ms). */
  shutdownGraceMs?: number;
  /** Queues to claim from (default: all). */
  queues?: string[];
  /** Drain on SIGTERM and SIGINT (default true). */
  handleSignals?: boolean;
  /** Register the agents and the worker at start (default true). */
  register?: boolean;
  logger?: WorkerLogger;
};

interface Running {
  step: ClaimedStep;
  controller: AbortController;
  done: Promise<void>;
  /** Set when the step must not be reported (its task was canceled, its lease lost, or it was handed back). */
  dropped: boolean;
}

const silent: WorkerLogger = { info() {}, warn() {}, error() {} };

export class Worker {
  readonly client: AgentRuntimeClient;
  readonly workerId: string;
  private readonly agents = new Map<string, AgentDefinition>();
  private readonly concurrency: number;
  private readonly claimBatch: number;
  private readonly leaseSeconds: number;
  private readonly pollIntervalMs: number;
  private readonly shutdownGraceMs: number;
  private readonly queues: string[] | null;
  private readonly logger: WorkerLogger;
  private readonly handleSignals: boolean;
  private readonly register: boolean;

  private readonly running = new Map<number, Running>();
  private completions: StepCompletion[] = [];
  private failures: StepFailure[] = [];
  private reporting: Promise<void> | undefined;
  private listener: pg.PoolClient | undefined;
  private state: 'new' | 'running' | 'draining' | 'stopped' = 'new';
  private wake: (() => void) | undefined;
  private woken = false;
  private loop: Promise<void> | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  private readonly onSignal = () => { void this.stop(); };

  constructor(options: WorkerOptions) {
    this.client = new AgentRuntimeClient(options);
    for (const agent of options.agents) {
      this.agents.set(agent.name, agent);
    }
    if (this.agents.size === 0) {
      throw new TypeError('a worker needs at least one agent');
    }
    this.workerId = options.workerId ?? `ts-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.concurrency = options.concurrency ?? 16;
    this.claimBatch = options.claimBatch ?? this.concurrency;
    this.leaseSeconds = options.leaseSeconds ?? 60;
    this.pollIntervalMs = options.pollIntervalMs ?? 2000;
    this.shutdownGraceMs = options.shutdownGraceMs ?? 30_000;
    this.queues = options.queues ?? null;
    this.handleSignals = options.handleSignals ?? true;
    this.register = options.register ?? true;
    this.logger = options.logger ?? silent;
  }

  /** Steps running now. */
  get active(): number {
    return this.running.size;
  }

  /** Registers, listens and starts claiming; resolves once the worker is serving. */
  async start(): Promise<void> {
    if (this.state !== 'new') {
      throw new Error(`the worker is ${this.state}`);
    }
    this.state = 'running';
    if (this.register) {
      for (const agent of this.agents.values()) {
        await this.client.registerAgent(agent.name, { description: agent.description ?? '', inputSchema: agent.inputSchema ?? {} });
      }
      await this.client.registerWorker(this.workerId, [...this.agents.keys()],
        { runtime: 'typescript', node: process.version, pid: process.pid });
    }
    await this.listen();
    if (this.handleSignals) {
      process.once('SIGTERM', this.onSignal);
      process.once('SIGINT', this.onSignal);
    }
    const every = Math.max(1000, (this.leaseSeconds * 1000) / 3);
    this.heartbeatTimer = setInterval(() => { void this.heartbeat(); }, every);
    this.loop = this.claimLoop();
    this.logger.info(`worker ${this.workerId} serving ${[...this.agents.keys()].join(', ')}`);
  }

  /** Starts and resolves when the worker has stopped (after a drain). */
  async run(): Promise<void> {
    await this.start();
    await this.loop;
    await this.stopping;
  }

  /**
   * Drains: no more claims; running steps finish for up to graceMs, then the rest are aborted
   * and handed back (release_steps); reports are flushed; connections closed.
   */
  stop(graceMs = this.shutdownGraceMs): Promise<void> {
    this.stopping ??= this.drain(graceMs);
    return this.stopping;
  }

  private async drain(graceMs: number): Promise<void> {
    if (this.state === 'new') {
      this.state = 'stopped';
      await this.client.end();
      return;
    }
    this.state = 'draining';
    this.logger.info(`worker ${this.workerId} draining (${this.running.size} running)`);
    process.removeListener('SIGTERM', this.onSignal);
    process.removeListener('SIGINT', this.onSignal);
    this.poke();
    await this.loop;
    const all = Promise.all([...this.running.values()].map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), graceMs); }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      const left = [...this.running.values()];
      for (const r of left) {
        r.dropped = true;
        r.controller.abort(new Error('the worker is shutting down'));
      }
      try {
        await this.client.releaseSteps(left.map((r) => ({ stepId: r.step.step_id, leaseToken: r.step.lease_token })));
      } catch (error) {
        this.logger.warn(`could not hand back ${left.length} steps (their leases will expire): ${String(error)}`);
      }
      await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 1000))]);
    }
    await this.flush();
    clearInterval(this.heartbeatTimer);
    await this.unlisten();
    this.state = 'stopped';
    await this.client.end();
    this.logger.info(`worker ${this.workerId} stopped`);
  }

  // --- claiming ------------------------------------------------------------------------------

  private poke(): void {
    this.woken = true;
    this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.wake = undefined; resolve(); }, Math.max(0, ms));
      this.wake = () => { clearTimeout(timer); this.wake = undefined; resolve(); };
    });
  }

  private async claimLoop(): Promise<void> {
    const agents = [...this.agents.keys()];
    let failures = 0;
    while (this.state === 'running') {
      const free = this.concurrency - this.running.size;
      if (free <= 0) {
        this.woken = false;
        await this.sleep(this.pollIntervalMs); // a finishing step pokes
        continue;
      }
      this.woken = false;
      let wait = this.pollIntervalMs;
      try {
        const claim = await this.client.claimSteps(this.workerId, agents,
          { maxSteps: Math.min(free, this.claimBatch), leaseSeconds: this.leaseSeconds, queues: this.queues });
        failures = 0;
        for (const step of claim.steps) {
          this.launch(step);
        }
        if (claim.steps.length === Math.min(free, this.claimBatch)) {
          continue; // there may be more: claim again at once
        }
        if (claim.untilDueMs !== null) {
          wait = Math.min(wait, Math.max(0, claim.untilDueMs));
        }
        if (claim.steps.length === 0) {
          // Nothing was due: a wake-up that comes now waits for the gap (it may be spoofed).
          await new Promise((resolve) => setTimeout(resolve, MIN_GAP_MS));
          wait = Math.max(0, wait - MIN_GAP_MS);
        }
      } catch (error) {
        if (this.state !== 'running') break;
        failures++;
        wait = Math.min(30_000, 250 * 2 ** Math.min(failures, 7));
        (isTransientError(error) ? this.logger.warn : this.logger.error)
          .call(this.logger, `claim failed (${String(error)}); again in ${wait} ms`);
        if (!this.listener) {
          void this.listen().catch(() => {});
        }
      }
      if (this.state !== 'running') break;
      await this.sleep(wait);
    }
  }

  private async listen(): Promise<void> {
    const listener = await this.client.pool.connect();
    listener.on('notification', (n) => {
      if (n.channel === WAKEUP_CHANNEL && n.payload && this.agents.has(n.payload)) {
        this.poke();
      }
    });
    listener.on('error', (error) => {
      this.logger.warn(`the wake-up connection broke (${error.message}); polling until it is back`);
      if (this.listener === listener) {
        this.listener = undefined;
        listener.release(true);
      }
    });
    await listener.query(`listen ${WAKEUP_CHANNEL}`);
    this.listener = listener;
  }

  private async unlisten(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    if (!listener) return;
    try {
      await listener.query(`unlisten ${WAKEUP_CHANNEL}`);
      listener.release();
    } catch {
      listener.release(true);
    }
  }

  // --- running -------------------------------------------------------------------------------

  /** The context of one run, with its checkpoints (read once, on the first ctx.step) and its output. */
  private createContext(step: ClaimedStep, signal: AbortSignal): StepContext {
    const client = this.client;
    let checkpoints: Promise<Map<string, Json>> | undefined;
    const recorded = () => {
      checkpoints ??= client.getCheckpoints(step.step_id, step.lease_token)
        .then((rows) => new Map(rows.map((c) => [c.name, c.output])));
      checkpoints.catch(() => { checkpoints = undefined; }); // a failed read is tried again by the next call
      return checkpoints;
    };
    return {
      stepId: step.step_id, taskId: step.task_id, sessionId: step.session_id, appName: step.app_name, userId: step.user_id,
      stepKey: step.step_key, agent: step.agent, input: step.input, taskInput: step.task_input, attempt: step.attempt,
      maxAttempts: step.max_attempts, timeoutSeconds: step.timeout_seconds, metadata: step.metadata ?? {},
      resumedFrom: step.resumed_from, signal, client, leaseToken: step.lease_token,
      async step<T extends Json>(name: string, fn: (signal: AbortSignal) => Promise<T> | T): Promise<T> {
        if (!name) throw new TypeError('a step needs a name');
        const known = await recorded();
        if (known.has(name)) {
          return structuredClone(known.get(name)) as T;
        }
        const result = await fn(signal);
        const kept = await client.saveCheckpoint(step.step_id, step.lease_token, name, result === undefined ? null : result);
        known.set(name, kept);
        return structuredClone(kept) as T;
      },
      appendOutput(artifact: string, chunk: Json, last = false): Promise<number> {
        return client.appendOutput(step.step_id, step.lease_token, artifact, chunk, last);
      },
    };
  }

  private launch(step: ClaimedStep): void {
    const controller = new AbortController();
    const entry: Running = { step, controller, dropped: false, done: Promise.resolve() };
    this.running.set(step.step_id, entry);
    entry.done = this.execute(entry).finally(() => {
      this.running.delete(step.step_id);
      this.poke(); // a slot is free
    });
  }

  private async execute(entry: Running): Promise<void> {
    const { step, controller } = entry;
    const agent = this.agents.get(step.agent)!;
    let timeout: NodeJS.Timeout | undefined;
    let timedOut = false;
    const timeoutMessage = `attempt ${step.attempt} ran past its timeout of ${step.timeout_seconds} s`;
    if (step.timeout_seconds) {
      timeout = setTimeout(() => { timedOut = true; controller.abort(new Error(timeoutMessage)); }, step.timeout_seconds * 1000);
    }
    let result: StepResult;
    try {
      const value = await agent.run(this.createContext(step, controller.signal));
      result = isStepResult(value) ? value : { kind: 'complete', output: (value ?? null) as Json };
    } catch (error) {
      if (error instanceof StaleLeaseError) {
        // A checkpoint or chunk was refused for the lease: the step is no longer this run's.
        entry.dropped = true;
        this.logger.info(`step ${step.step_id} lost its lease while running: ${error.message}`);
      }
      const err = error instanceof Error ? error : new Error(String(error));
      result = timedOut
        // the shape the runtime gives a run that outlived its timeout when no host reported it
        ? { kind: 'fail', error: { code: 'timeout', message: timeoutMessage }, retryable: true }
        : { kind: 'fail', error: { message: err.message, type: err.name }, retryable: !(error instanceof NonRetryableError) };
    } finally {
      clearTimeout(timeout);
    }
    if (entry.dropped) {
      return; // canceled, lease lost or handed back: the database settled it, the result is void
    }
    try {
      await this.report(step, result);
    } catch (error) {
      this.logger.error(`could not report step ${step.step_id} (its lease will expire and it runs again): ${String(error)}`);
    }
  }

  private async report(step: ClaimedStep, result: StepResult): Promise<void> {
    switch (result.kind) {
      case 'complete':
        this.completions.push({ stepId: step.step_id, leaseToken: step.lease_token, output: result.output, effects: result.effects ?? null });
        return this.flush();
      case 'fail':
        this.failures.push({ stepId: step.step_id, leaseToken: step.lease_token, error: result.error, retryable: result.retryable });
        return this.flush();
      case 'yield':
        await this.client.yieldStep(step.step_id, step.lease_token, result.reason, { payload: result.payload, resumeAt: result.resumeAt });
        return;
      case 'reject':
        await this.client.rejectStep(step.step_id, step.lease_token, result.reason);
        return;
    }
  }

  /**
   * Sends what has finished: one complete_steps and one fail_steps call for everything queued.
   * While a report is on its way, new results wait for it and go together in the next one.
   */
  private async flush(): Promise<void> {
    while (this.reporting) {
      await this.reporting;
    }
    if (this.completions.length === 0 && this.failures.length === 0) {
      return;
    }
    const completions = this.completions.splice(0, 5000);
    const failures = this.failures.splice(0, 5000);
    this.reporting = (async () => {
      try {
        const outcomes = [
          ...(completions.length > 0 ? await this.client.completeSteps(completions) : []),
          ...(failures.length > 0 ? await this.client.failSteps(failures) : []),
        ];
        for (const o of outcomes.filter((o) => o.outcome === 'refused')) {
          this.logger.warn(`the runtime refused the result of step ${o.step_id} (${o.code}: ${o.message}); the step failed for good`);
        }
      } finally {
        this.reporting = undefined;
      }
    })();
    await this.reporting;
  }

  private async heartbeat(): Promise<void> {
    const leases = [...this.running.values()].map((r) => ({ stepId: r.step.step_id, leaseToken: r.step.lease_token }));
    try {
      const abandon = await this.client.heartbeat(this.workerId, this.leaseSeconds, leases);
      for (const a of abandon) {
        const entry = this.running.get(a.step_id);
        if (!entry) continue;
        entry.dropped = true;
        const why = a.reason === 'canceled' ? 'the task was canceled' : 'the step\'s lease was lost';
        const reason = new Error(why);
        reason.name = a.reason === 'canceled' ? 'CanceledError' : 'LeaseLostError';
        entry.controller.abort(reason);
      }
    } catch (error) {
      this.logger.warn(`heartbeat failed: ${String(error)}`);
    }
  }
}
