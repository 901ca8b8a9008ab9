// The SQL API as typed calls, the worker, task waiting, errors and embedders: everything that
// needs only pg (no ADK, no LangGraph).
export { AgentRuntimeClient, jsonb, type SubmitItem } from './client.js';
export { Database, run, type ConnectionOptions, type Queryable } from './database.js';
export * from './errors.js';
export { LocalEmbedder, localEmbedding, LOCAL_EMBEDDER_MODEL, type Embedder } from './embedding.js';
export { taskTag, TaskWatcher, TASK_STATUS_CHANNEL, TASK_OUTPUT_CHANNEL, WAKEUP_CHANNEL, MIN_GAP_MS, type WaitOptions } from './notifications.js';
export {
  Worker, StepResults, NonRetryableError,
  type AgentDefinition, type StepContext, type StepResult, type WorkerOptions, type WorkerLogger,
} from './worker.js';
export * from './types.js';
