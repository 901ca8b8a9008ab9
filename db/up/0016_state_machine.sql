-- The step state machine written once (_retry_at, _cancel_runs, _fail_runs,
-- _check_results): heartbeats match a run by its lease token, so the signature gains
-- lease_tokens; complete_steps and fail_steps return a code and message per element (outcome
-- refused) instead of raising for one bad element, so their return types change; a step that
-- fails for good no longer retries its task's stop on its own (_stop_tasks survives deadlocks
-- for every caller). The functions/ folder creates the new ones.
-- One-time script: never edit it after it lands; change the schema in a new up script.
drop function if exists
  agent_runtime.heartbeat(text, integer, bigint[]),
  agent_runtime.complete_steps(bigint[], uuid[], jsonb[], jsonb[]),
  agent_runtime.fail_steps(bigint[], uuid[], jsonb[], boolean[]),
  agent_runtime._fail_step_retrying(bigint);
