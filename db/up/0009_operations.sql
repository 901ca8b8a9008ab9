-- Operations (docs/operations.md): indexes behind the operators' views, and the lock order every
-- function keeps, written down beside the schema.
-- One-time script: never edit it after it lands; change the schema in a new up script.
--
-- LOCK ORDER. Every function that locks rows of more than one of these tables takes them in this
-- order, so that two transactions never wait for each other in a circle (SQLSTATE 40P01):
--   1. a task's steps, in step id order (FOR UPDATE; claims skip locked ones);
--   2. then the task (FOR NO KEY UPDATE, or FOR UPDATE when it is deleted);
--   3. then its session (FOR UPDATE), when its events or state change;
--   across tasks: tasks in id order, and a child task (tasks.parent_step_id) before its parent,
--   because a finishing child settles the step that waits for it (_settle_children).
-- The one call that must go downwards, a cancel that cascades from a parent to its children
-- (_stop_tasks), retries a deadlock inside itself (cancel_task, cancel_tasks), so 40P01 does
-- not reach callers. purge_tasks and claim_step take their rows with SKIP LOCKED and never wait
-- for a row lock held by someone else; purge_tasks then waits only for session locks.

-- queue_stats counts waiting steps and recent failures per agent and queue; recent_failures lists
-- the failures. Both indexes are partial: they cost a write only while a step waits or once it
-- has failed for good, never on the claim and completion path. "if not exists": on a large steps
-- table an operator may build them beforehand with CREATE INDEX CONCURRENTLY (docs/operations.md).
create index if not exists steps_waiting on agent_runtime.steps (agent, queue) where status = 'waiting';
create index if not exists steps_failed on agent_runtime.steps (completed_at) where status = 'failed';
