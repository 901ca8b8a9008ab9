-- The guard of every function that reads or changes one task by id: task_id is given (AR001),
-- and the task exists in an app the caller may see (AR011 otherwise: a task of another tenant
-- looks like one that does not exist). Takes no lock: callers that need one lock the task
-- themselves, and still raise AR011 through _raise_task_not_found when the lock finds nothing.
create or replace function agent_runtime._check_task_visible(task_id uuid)
returns void
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
begin
  if task_id is null then
    raise exception using errcode = 'AR001',
      message = 'task_id is required',
      hint = 'Pass the task_id returned by submit_task.';
  end if;
  if not exists (select from agent_runtime.tasks t
                 where t.id = _check_task_visible.task_id
                   and agent_runtime._app_visible(agent_runtime._caller_apps(), t.app_name)) then
    perform agent_runtime._raise_task_not_found(task_id);
  end if;
end
$$;
