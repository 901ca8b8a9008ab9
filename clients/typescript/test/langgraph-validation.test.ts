// LangGraph's own conformance suite (@langchain/langgraph-checkpoint-validation 1.1.1) against
// AgentRuntimeSaver: every test of validate(), and the opt-in delta-channel history tests. Each
// checkpointer it creates works in an app of its own, so suites that reuse thread ids ("1", "2")
// never see each other's threads.
import { deltaChannelHistoryTests, validate, type CheckpointSaverTestInitializer } from '@langchain/langgraph-checkpoint-validation';
import { AgentRuntimeSaver } from '../src/index.js';
import { connectionString, unique } from './support.js';

const initializer: CheckpointSaverTestInitializer<AgentRuntimeSaver> = {
  checkpointerName: 'AgentRuntimeSaver',
  createCheckpointer: () => new AgentRuntimeSaver({ connectionString, appName: unique('lg') }),
  destroyCheckpointer: (saver) => saver.end(),
};

validate(initializer);
deltaChannelHistoryTests(initializer);
