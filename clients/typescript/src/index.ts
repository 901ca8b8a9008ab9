// @agent-runtime/client: the SQL API, a worker, ADK's services and LangGraph's checkpoint saver,
// all on AgentRuntime (docs/clients.md). "@agent-runtime/client/client" is the part that needs
// only pg.
export * from './client/index.js';
export { AgentRuntimeSessionService } from './adk/session-service.js';
export { AgentRuntimeArtifactService, ARTIFACT_PART_KEY } from './adk/artifact-service.js';
export { AgentRuntimeMemoryService, MEMORIZED_THROUGH_KEY, type MemoryServiceOptions } from './adk/memory-service.js';
export { AgentRuntimeSaver, type AgentRuntimeSaverOptions } from './langgraph/saver.js';
