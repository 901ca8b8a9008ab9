-- Workflow fixes: the order in which a step spawned its children. Children spawned together are
-- created in one transaction, so created_at is one for all of them and their ids are random: the
-- step's output (the children's outputs) and get_task's children follow spawn_index instead.
-- One-time script: never edit it after it lands; change the schema in a new up script.

alter table agent_runtime.tasks add column spawn_index integer;
