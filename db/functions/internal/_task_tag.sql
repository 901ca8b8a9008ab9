-- A task's tag, the payload of its notifications (agent_runtime_task_status,
-- agent_runtime_task_output): the first 16 hex digits of the SHA-256 of its id as text (lower
-- case, with hyphens). Only who knows the id can tell which task a payload names
-- (docs/security.md, "Notifications").
create or replace function agent_runtime._task_tag(task_id uuid)
returns text
language sql immutable parallel safe
set search_path = pg_catalog, pg_temp
as $$
  select left(encode(sha256(convert_to(task_id::text, 'UTF8')), 'hex'), 16)
$$;
