-- What a workflow template of the task sees: {"input": <task input>, "steps": {<key>:
-- {"status": .., "output": ..}}} for its finished steps (completed: their output; skipped:
-- null), map elements left out (their map step holds their outputs).
create or replace function agent_runtime._task_context(task_id uuid)
returns jsonb
language sql stable
set search_path = pg_catalog, pg_temp
as $$
  select jsonb_build_object(
    'input', t.input,
    'steps', coalesce((select jsonb_object_agg(s.key, jsonb_build_object('status', s.status, 'output', s.output))
                       from agent_runtime.steps s
                       where s.task_id = t.id and s.map_parent_id is null and s.status in ('completed', 'skipped')),
                      '{}'::jsonb))
  from agent_runtime.tasks t
  where t.id = _task_context.task_id
$$;
