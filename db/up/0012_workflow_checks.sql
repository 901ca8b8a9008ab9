-- Workflow definitions are checked in time linear in their size (_check_workflow_definition):
-- a step is checked on its own, and the keys it depends on are matched against the others' once,
-- for the whole definition. The helper that took every step along with each one goes; the
-- functions/ folder creates its one-argument successor.
-- One-time script: never edit it after it lands; change the schema in a new up script.
drop function if exists agent_runtime._check_workflow_step(jsonb, jsonb);
