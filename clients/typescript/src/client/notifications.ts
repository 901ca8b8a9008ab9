/**
 * Waiting for tasks on agent_runtime_task_status. A notification carries a task's tag (the first
 * 16 hex digits of the SHA-256 of its id as text), never its status: it is a hint, since any role
 * can NOTIFY any channel (docs/security.md "Notifications"). So a waiter reads the task through
 * the API as its own role when a hint for its tag arrives, and after a read that found nothing
 * new the next one waits MIN_GAP_MS: a flood of spoofed hints costs at most ~50 reads a second,
 * and real changes add no latency. A slow poll covers notifications lost while reconnecting.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { FINISHED_STATUSES, type TaskDetails } from './types.js';
import type { AgentRuntimeClient } from './client.js';

export const TASK_STATUS_CHANNEL = 'agent_runtime_task_status';
export const WAKEUP_CHANNEL = 'agent_runtime_wakeup';
/** Payload: the tag of a task whose streamed output grew: read on with read_output after the last seq read. */
export const TASK_OUTPUT_CHANNEL = 'agent_runtime_task_output';

/** The pause after a read that a hint brought and that found nothing new. */
export const MIN_GAP_MS = 20;

/** A task's tag as agent_runtime_task_status carries it. */
export function taskTag(taskId: string): string {
  return createHash('sha256').update(taskId.toLowerCase(), 'utf8').digest('hex').slice(0, 16);
}

export interface WaitOptions {
  /** Resolve when this holds (default: the task is finished). */
  until?: (task: TaskDetails) => boolean;
  /** Reject with a TimeoutError after this long. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Read the task this often even without a notification (default 5000 ms). */
  pollIntervalMs?: number;
}

interface Waiter {
  taskId: string;
  tag: string;
  until: (task: TaskDetails) => boolean;
  resolve: (task: TaskDetails) => void;
  reject: (error: unknown) => void;
  lastSeen: string | undefined;
  reading: boolean;
  again: boolean;
  timer: NodeJS.Timeout | undefined;
  pollMs: number;
  pollTimer: NodeJS.Timeout | undefined;
  notBefore: number;
  done: boolean;
}

/** One LISTEN connection shared by every wait of a client. */
export class TaskWatcher {
  private listener: pg.PoolClient | undefined;
  private connecting: Promise<void> | undefined;
  private readonly byTag = new Map<string, Set<Waiter>>();
  private closed = false;

  constructor(private readonly client: AgentRuntimeClient) {}

  async wait(taskId: string, options: WaitOptions = {}): Promise<TaskDetails> {
    if (this.closed) {
      throw new Error('the client has ended');
    }
    options.signal?.throwIfAborted();
    await this.ensureListening();
    return new Promise<TaskDetails>((resolve, reject) => {
      const waiter: Waiter = {
        taskId, tag: taskTag(taskId), until: options.until ?? ((t) => FINISHED_STATUSES.includes(t.status)),
        resolve, reject, lastSeen: undefined, reading: false, again: false, timer: undefined,
        pollMs: options.pollIntervalMs ?? 5000, pollTimer: undefined, notBefore: 0, done: false,
      };
      const finish = (error: unknown, task?: TaskDetails) => {
        if (waiter.done) return;
        waiter.done = true;
        clearTimeout(waiter.timer);
        clearTimeout(waiter.pollTimer);
        clearTimeout(deadline);
        options.signal?.removeEventListener('abort', onAbort);
        const set = this.byTag.get(waiter.tag);
        set?.delete(waiter);
        if (set?.size === 0) this.byTag.delete(waiter.tag);
        if (task) resolve(task); else reject(error);
      };
      waiter.resolve = (task) => finish(undefined, task);
      waiter.reject = (error) => finish(error);
      const deadline = options.timeoutMs === undefined ? undefined : setTimeout(() => {
        const error = new Error(`task ${taskId} did not reach the awaited state within ${options.timeoutMs} ms`);
        error.name = 'TimeoutError';
        waiter.reject(error);
      }, options.timeoutMs);
      const onAbort = () => waiter.reject(options.signal!.reason);
      if (options.signal?.aborted) {
        onAbort(); // aborted while the listening connection was being set up
        return;
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      let set = this.byTag.get(waiter.tag);
      if (!set) this.byTag.set(waiter.tag, (set = new Set()));
      set.add(waiter);
      // Listening came first, so a change after this read is announced.
      this.read(waiter);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const set of this.byTag.values()) {
      for (const waiter of set) waiter.reject(new Error('the client has ended'));
    }
    const listener = this.listener;
    this.listener = undefined;
    if (listener) {
      listener.removeAllListeners('notification');
      try {
        await listener.query(`unlisten ${TASK_STATUS_CHANNEL}`);
      } catch {
        // the connection is gone: nothing to unlisten
      }
      listener.release();
    }
  }

  private ensureListening(): Promise<void> {
    if (this.listener) return Promise.resolve();
    this.connecting ??= (async () => {
      try {
        const listener = await this.client.pool.connect();
        listener.on('notification', (n) => {
          if (n.channel !== TASK_STATUS_CHANNEL || !n.payload) return;
          for (const waiter of this.byTag.get(n.payload) ?? []) this.hint(waiter);
        });
        listener.on('error', () => this.reconnect(listener));
        await listener.query(`listen ${TASK_STATUS_CHANNEL}`);
        this.listener = listener;
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  /** The listening connection broke: listen again, then read every waiter's task (notifications may have been lost). */
  private reconnect(broken: pg.PoolClient): void {
    if (this.listener !== broken) return;
    this.listener = undefined;
    broken.release(true);
    const retry = (delay: number) => {
      if (this.closed || this.byTag.size === 0) return;
      setTimeout(() => {
        this.ensureListening().then(
          () => { for (const set of this.byTag.values()) for (const w of set) this.hint(w); },
          () => retry(Math.min(delay * 2, 5000)));
      }, delay).unref();
    };
    retry(100);
  }

  private hint(waiter: Waiter): void {
    if (waiter.done) return;
    if (waiter.reading) {
      waiter.again = true;
      return;
    }
    if (waiter.timer) return; // a read is already scheduled
    const delay = Math.max(0, waiter.notBefore - Date.now());
    waiter.timer = setTimeout(() => { waiter.timer = undefined; this.read(waiter); }, delay);
  }

  private read(waiter: Waiter): void {
    if (waiter.done) return;
    clearTimeout(waiter.pollTimer);
    waiter.reading = true;
    waiter.again = false;
    this.client.getTask(waiter.taskId).then((task) => {
      waiter.reading = false;
      if (waiter.until(task)) {
        waiter.resolve(task);
        return;
      }
      const seen = `${task.status}|${new Date(task.updated_at).getTime()}`;
      waiter.notBefore = seen === waiter.lastSeen ? Date.now() + MIN_GAP_MS : 0;
      waiter.lastSeen = seen;
      waiter.pollTimer = setTimeout(() => this.hint(waiter), waiter.pollMs);
      waiter.pollTimer.unref?.();
      if (waiter.again) this.hint(waiter);
    }, (error) => {
      waiter.reading = false;
      waiter.reject(error);
    });
  }
}
