-- The steps of new workflow tasks (options: each task's submit options, whose retry policy,
-- timeout and run_at apply to steps that set none), from the version each task started with: every step
-- pending, in the definition's stored (dependency) order, so that a step's id is larger than
-- the ids of the steps it depends on. Then the steps without dependencies advance
-- (_advance_tasks): they become ready, waiting, skipped or fan out.
create or replace function agent_runtime._start_workflows(task_ids uuid[], options agent_runtime._task_options[])
returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  insert into agent_runtime.steps
    (task_id, key, agent, depends_on, status, input_template, when_condition, map_source, wait_for,
     queue, priority, run_at, max_attempts, backoff_seconds, max_backoff_seconds, timeout_seconds,
     fair_key, concurrency_key, concurrency_limit)
  select t.id, d.step ->> 'key', d.step ->> 'agent',
         coalesce(array(select jsonb_array_elements_text(d.step -> 'depends_on')), '{}'),
         'pending', d.step -> 'input', d.step -> 'when', d.step -> 'map', d.step -> 'wait_for',
         t.queue, t.priority, o.run_at,
         -- a step's own options (checked by define_workflow: an integer may be written 5.0)
         coalesce((d.step ->> 'max_attempts')::numeric::integer, t.max_attempts),
         coalesce((d.step ->> 'backoff_seconds')::double precision, o.backoff_seconds),
         coalesce((d.step ->> 'max_backoff_seconds')::double precision, o.max_backoff_seconds),
         coalesce((d.step ->> 'timeout')::numeric::integer, o.timeout),
         coalesce(o.fairness_key, t.app_name), o.concurrency_key, o.concurrency_limit
  from rows from (unnest(task_ids), unnest(options)) with ordinality as o(task_id)
  join agent_runtime.tasks t on t.id = o.task_id
  join agent_runtime.workflows w on w.name = t.target and w.version = t.workflow_version
  cross join lateral jsonb_array_elements(w.definition -> 'steps') with ordinality as d(step, ord)
  order by o.ordinality, d.ord;

  perform agent_runtime._advance_tasks(task_ids);
end
$$;
