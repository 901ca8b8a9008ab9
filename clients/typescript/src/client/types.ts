/** Shapes of what the SQL API takes and returns (docs/sql-api.md), as JavaScript values. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export type TaskStatus =
  | 'submitted' | 'working' | 'input-required' | 'auth-required'
  | 'completed' | 'failed' | 'canceled' | 'rejected';

export const FINISHED_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'canceled', 'rejected'];

/** submit_task's options (docs/sql-api.md "submit_task"); keys as the SQL takes them. */
export interface SubmitOptions {
  idempotency_key?: string;
  priority?: number;
  queue?: string;
  run_at?: string | Date;
  max_attempts?: number;
  backoff_seconds?: number;
  max_backoff_seconds?: number;
  timeout?: number;
  concurrency_key?: string;
  concurrency_limit?: number;
  fairness_key?: string;
  deadline?: string | Date;
  max_tokens?: number;
  metadata?: JsonObject;
  app_name?: string;
  user_id?: string;
  [key: string]: Json | Date | undefined;
}

export interface SubmittedTask {
  task_id: string;
  session_id: string;
  status: TaskStatus;
  created: boolean;
}

export interface TaskDetails {
  task_id: string;
  session_id: string;
  target: string;
  status: TaskStatus;
  input: Json;
  output: Json;
  error: JsonObject | null;
  queue: string;
  priority: number;
  attempts: number;
  max_attempts: number;
  metadata: JsonObject;
  app_name: string;
  user_id: string;
  idempotency_key: string | null;
  cancel_reason: string | null;
  status_message: Json;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  steps: JsonObject[];
  history: JsonObject[];
  workflow_version: number | null;
  parent_step_id: number | null;
  children: JsonObject[];
  /** The tokens its model calls used (record_usage), over all its steps, attempts and runs. */
  usage: TaskUsage;
}

export interface TaskUsage {
  calls: number;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  /** The task's budget (submit option max_tokens), or null. */
  max_tokens: number | null;
  models: { model: string; calls: number; input_tokens: number; output_tokens: number }[];
}

export interface TaskSummary {
  task_id: string;
  session_id: string;
  target: string;
  status: TaskStatus;
  queue: string;
  priority: number;
  attempts: number;
  error: JsonObject | null;
  metadata: JsonObject;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  page_token: string;
}

export interface TaskFilters {
  status?: TaskStatus | TaskStatus[];
  target?: string;
  queue?: string;
  session_id?: string;
  created_after?: string | Date;
  created_before?: string | Date;
  updated_after?: string | Date;
  updated_before?: string | Date;
  metadata?: JsonObject;
}

export interface TimelineEntry {
  at: Date;
  type: string;
  step_key: string | null;
  worker_id: string | null;
  detail: string;
}

export interface EventInfo {
  id: number;
  type: string;
  task_id: string | null;
  step_id: number | null;
  worker_id: string | null;
  data: JsonObject;
  created_at: Date;
  position: string;
}

export interface Target {
  name: string;
  kind: 'agent' | 'workflow';
  description: string;
  input_schema: JsonObject;
  updated_at: Date;
}

export interface SessionInfo {
  session_id: string;
  app_name: string;
  user_id: string;
  state: JsonObject;
  last_sequence: number;
  created_at: Date;
  updated_at: Date;
}

export interface SessionSummary extends SessionInfo {
  page_token: string;
}

export interface SessionPageEntry extends SessionInfo {
  /** The number of sessions that match, on every row. */
  total: number;
}

/** get_session's answer: events oldest first, each as appended plus its sequence (and a timestamp, epoch seconds, when it had none). */
export interface SessionWithEvents {
  id: string;
  app_name: string;
  user_id: string;
  state: JsonObject;
  last_sequence: number;
  /** Epoch seconds. */
  last_update_time: number;
  created_at: string;
  updated_at: string;
  events: (JsonObject & { sequence: number })[];
}

export interface AppendedEvent {
  session_id: string;
  sequence: number;
  event_id: number;
  state: JsonObject;
  created_at: Date;
}

export interface ArtifactContent {
  version: number;
  content: Buffer;
  mime_type: string;
  size_bytes: number;
  sha256: string;
  metadata: JsonObject;
  created_at: Date;
}

export interface ArtifactVersion {
  version: number;
  mime_type: string;
  size_bytes: number;
  sha256: string;
  metadata: JsonObject;
  task_id: string | null;
  created_at: Date;
}

export interface MemoryMatch {
  memory_id: number;
  content: string;
  metadata: JsonObject;
  score: number;
  created_at: Date;
}

export interface PushConfig {
  config_id: string;
  task_id: string;
  url: string;
  token: string | null;
  authentication: JsonObject | null;
  created_at: Date;
  updated_at: Date;
}

export interface ClaimedPushDelivery {
  delivery_id: number;
  config_id: string;
  task_id: string;
  event_id: number;
  url: string;
  token: string | null;
  authentication: JsonObject | null;
  payload: JsonObject;
  attempt: number;
  max_attempts: number;
  lease_expires_at: Date;
}

export interface Feedback {
  feedback_id: number;
  task_id: string;
  rating: number | null;
  text: string | null;
  metadata: JsonObject;
  created_at: Date;
}

export interface WorkflowInfo {
  name: string;
  version: number;
  description: string;
  definition: JsonObject;
  created_at: Date;
}

export interface ScheduleInfo {
  app_name: string;
  name: string;
  cron: string;
  timezone: string;
  target: string;
  input: Json;
  options: JsonObject;
  backfill: number;
  next_fire_at: Date | null;
  last_fire_at: Date | null;
  last_task_id: string | null;
  last_status: TaskStatus | null;
}

export interface QueueInfo {
  queue: string;
  paused: boolean;
  concurrency_limit: number | null;
  rate_per_second: number | null;
  ready: number;
  scheduled: number;
  running: number;
  waiting: number;
  oldest_ready_at: Date | null;
  tokens_per_minute: number | null;
}

export interface LockGrant {
  /** null (with secret and expires_at) when someone else holds the lock. */
  token: number | null;
  secret: string | null;
  expires_at: Date | null;
}

export interface TenantBinding {
  role_name: string;
  app_name: string;
  created_at: Date;
}

export interface InvariantViolation {
  violation: string;
  task_id: string | null;
  step_id: number | null;
  detail: string;
}

/** A step claim_step leased. */
export interface ClaimedStep {
  step_id: number;
  task_id: string;
  session_id: string;
  step_key: string;
  agent: string;
  input: Json;
  task_input: Json;
  attempt: number;
  max_attempts: number;
  lease_token: string;
  lease_expires_at: Date;
  timeout_seconds: number | null;
  metadata: JsonObject;
  resumed_from: JsonObject | null;
  app_name: string;
  user_id: string;
}

/** The steps a claim took, and how long until something next becomes due for these agents (null: nothing is scheduled). */
export interface Claim {
  steps: ClaimedStep[];
  untilDueMs: number | null;
}

export type CompleteOutcome = 'completed' | 'refused' | 'canceled' | 'duplicate' | 'already_failed' | 'stale_lease' | 'not_found';
export type FailOutcome = 'retry_scheduled' | 'failed' | 'refused' | 'canceled' | 'duplicate' | 'already_completed' | 'stale_lease' | 'not_found';

export interface StepOutcome<O extends string = string> {
  step_id: number;
  outcome: O;
}

/**
 * A row of complete_steps or fail_steps. `code` and `message` are set when the outcome is
 * `refused`: the AR error the runtime refused the result with (the step then failed for good with
 * error `{"code": "invalid_result", ...}`); null otherwise.
 */
export interface ReportOutcome<O extends string = string> extends StepOutcome<O> {
  code: string | null;
  message: string | null;
}

/** A run a heartbeat extends: the step and the lease token its claim returned. */
export interface StepLease {
  stepId: number;
  leaseToken: string;
}

/** A step heartbeat says to abandon: its task was canceled, or the lease is no longer this worker's. */
export interface AbandonedStep {
  step_id: number;
  task_id: string | null;
  reason: 'canceled' | 'lease_lost';
}

/** complete_steps' element i: what step i produced, and what commits with it. */
export interface StepCompletion {
  stepId: number;
  leaseToken: string;
  output?: Json;
  effects?: StepEffects | null;
}

export interface StepFailure {
  stepId: number;
  leaseToken: string;
  error: JsonObject;
  retryable?: boolean;
}

/** What a completion commits with it (docs/sql-api.md "complete_steps"). */
export interface StepEffects {
  state_delta?: JsonObject;
  messages?: JsonObject[];
  artifacts?: ArtifactEffect[];
  memories?: MemoryEffect[];
  spawn?: JsonObject[];
  allow_failures?: boolean;
}

/** A memory of the task's user (add_memory's checks): embedding has memory_dimensions() values. */
export interface MemoryEffect {
  text: string;
  embedding: number[];
  metadata?: JsonObject;
}

export interface ArtifactEffect {
  filename: string;
  mime_type?: string;
  text?: string;
  content_base64?: string;
  metadata?: JsonObject;
}

/** A named result a running step recorded (get_checkpoints); `attempt` is the attempt that saved it. */
export interface Checkpoint {
  name: string;
  output: Json;
  attempt: number;
  created_at: Date;
}

/**
 * A chunk of a task's streamed output (read_output), in the task's gap-free `seq` order. A chunk
 * that is a JSON string is text; any other value is data. `last` closes the artifact for the
 * chunk's attempt; a retried attempt streams again after the earlier one's chunks, with its own
 * attempt number.
 */
export interface OutputChunk {
  seq: number;
  artifact: string;
  chunk: Json;
  attempt: number;
  last: boolean;
  created_at: Date;
}

/** A checkpoint row of get_graph_checkpoint and list_graph_checkpoints. */
export interface GraphCheckpointRow {
  thread_id: string;
  checkpoint_ns: string;
  checkpoint_id: string;
  parent_checkpoint_id: string | null;
  checkpoint: JsonObject;
  metadata: JsonObject;
  channels: string[] | null;
  channel_types: string[] | null;
  channel_blobs: (Buffer | null)[] | null;
  write_task_ids: string[] | null;
  write_channels: string[] | null;
  write_types: string[] | null;
  write_blobs: (Buffer | null)[] | null;
  parent_send_types: string[] | null;
  parent_send_blobs: (Buffer | null)[] | null;
  created_at: Date;
}
