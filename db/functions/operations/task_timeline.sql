-- A task's events as a table to read in psql, oldest first: when, what, which step (its key, a
-- map element's with [index]), which worker, and the event's data as key=value pairs (strings
-- unquoted, values cut at 200 characters; the agent and step key are in their own column).
-- The tenant rule is get_task's: a task of another app is not found (AR011).
create or replace function agent_runtime.task_timeline(task_id uuid)
returns table (at timestamptz, type text, step_key text, worker_id text, detail text)
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  -- GUARD
  perform agent_runtime._check_task_visible(task_timeline.task_id);

  return query
  select e.created_at, e.type,
         s.key || case when s.map_index is not null then format('[%s]', s.map_index) else '' end,
         e.worker_id,
         (select string_agg(d.key || '=' || left(case jsonb_typeof(d.value) when 'string' then d.value #>> '{}'
                                                                           else d.value::text end, 200),
                            ' ' order by d.key)
          from jsonb_each(e.data) as d
          where d.key not in ('agent', 'key'))
  from agent_runtime.events e
  left join agent_runtime.steps s on s.id = e.step_id
  where e.task_id = task_timeline.task_id
  order by e.xact_id, e.id;
end
$$;
