-- Submits a task to a registered agent or workflow. The task lives in a session: the given one
-- (whose app_name and user_id the task takes; options naming others are refused), a new one
-- with the given id, or a new one (app_name: the option, else the caller's only tenant, else
-- the target; user_id: the option or 'anonymous'). The input is appended to the session as the
-- user's message, linked to the task. With an idempotency_key, a second submit returns the task
-- of the first (created = false) and writes nothing. submit_tasks is the same for many tasks;
-- both are _submit_tasks.
create or replace function agent_runtime.submit_task(
  target text,
  input jsonb default '{}'::jsonb,
  session_id text default null,
  options jsonb default '{}'::jsonb)
returns agent_runtime.submitted_task
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
declare
  v_result agent_runtime.submitted_task;
begin
  select s.task_id, s.session_id, s.status, s.created into v_result
  from agent_runtime._submit_tasks(array[submit_task.target], array[submit_task.input],
                                   array[submit_task.session_id], array[submit_task.options]) as s;
  return v_result;
end
$$;
