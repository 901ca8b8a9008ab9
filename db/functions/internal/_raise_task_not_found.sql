-- A task that does not exist and a task of another tenant look the same to the caller.
create or replace function agent_runtime._raise_task_not_found(task_id uuid)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  raise exception using errcode = 'AR011',
    message = format('task %s does not exist', task_id),
    hint = 'Check the id; list_tasks shows existing tasks.';
end
$$;
