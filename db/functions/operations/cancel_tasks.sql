-- Cancels many unfinished tasks at once (admin), as cancel_task cancels one (_stop_tasks): the
-- tasks that list_tasks finds with filters (its keys: status, target, queue, session_id,
-- created_after, created_before, updated_after, updated_before, metadata), at most max_tasks
-- (1-1000) per call, newest first. Returns how many it canceled: call it again until it returns
-- 0. filters must name at least one key; status may only name unfinished statuses (submitted,
-- working, input-required, auth-required) and defaults to all of them. Like cancel_task, it lets
-- _stop_tasks lock the tasks' steps (in id order), then the tasks, which survives a deadlock with
-- a child task's transition, so 40P01 does not reach the caller.
create or replace function agent_runtime.cancel_tasks(
  filters jsonb,
  reason text default null,
  max_tasks integer default 1000)
returns integer
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_open text[] := array(select s from unnest(agent_runtime._task_statuses()) as s
                         where s <> all (agent_runtime._finished_statuses()));
  v_filters jsonb;
  v_ids uuid[];
begin
  -- GUARD (list_tasks checks the filters themselves)
  perform agent_runtime._check_json(cancel_tasks.filters, 'filters');
  if cancel_tasks.filters is null or jsonb_typeof(cancel_tasks.filters) <> 'object'
     or not exists (select from jsonb_each(cancel_tasks.filters) as f where f.value <> 'null'::jsonb) then
    raise exception using errcode = 'AR001',
      message = format('filters must be an object with at least one filter, got %s', agent_runtime._quote(cancel_tasks.filters::text)),
      hint = format('Name the tasks to cancel, e.g. {"queue": "bulk"}; every unfinished task is {"status": %s}.', to_jsonb(v_open));
  end if;
  if cancel_tasks.max_tasks is null or cancel_tasks.max_tasks not between 1 and 1000 then
    raise exception using errcode = 'AR001',
      message = format('max_tasks must be from 1 to 1000, got %s', coalesce(cancel_tasks.max_tasks::text, 'NULL')),
      hint = 'Cancel in batches and call again until it returns 0.';
  end if;
  if length(cancel_tasks.reason) > 4000 then
    raise exception using errcode = 'AR001',
      message = format('reason has %s characters, over the limit of 4000', length(cancel_tasks.reason)),
      hint = 'Shorten the reason.';
  end if;
  v_filters := cancel_tasks.filters || jsonb_build_object('status', coalesce(nullif(cancel_tasks.filters -> 'status', 'null'::jsonb), to_jsonb(v_open)));
  if exists (select from jsonb_array_elements_text(case jsonb_typeof(v_filters -> 'status') when 'array' then v_filters -> 'status'
                                                      else jsonb_build_array(v_filters -> 'status') end) as s
             where s = any (agent_runtime._finished_statuses())) then
    raise exception using errcode = 'AR001',
      message = format('filter "status" names a finished status: %s', agent_runtime._quote((v_filters -> 'status')::text)),
      hint = format('Finished tasks cannot be canceled; unfinished statuses are %s.', array_to_string(v_open, ', '));
  end if;
  v_ids := array(select l.task_id from agent_runtime.list_tasks(v_filters, cancel_tasks.max_tasks) as l);
  if cardinality(v_ids) = 0 then
    return 0;
  end if;

  -- LOCK and MUTATE (_stop_tasks: only those still unfinished once locked)
  return cardinality(agent_runtime._stop_tasks(v_ids, 'canceled', jsonb_build_object('reason', cancel_tasks.reason)));
end
$$;
