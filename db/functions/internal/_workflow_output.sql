-- A finished workflow task's output: its definition's "output" template resolved over the task
-- context; without one, the output of the only step no other step depends on, or an object of
-- the outputs of those steps by key.
create or replace function agent_runtime._workflow_output(task_id uuid)
returns jsonb
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_template jsonb;
  v_sinks jsonb;
begin
  select w.definition -> 'output' into v_template
  from agent_runtime.tasks t
  join agent_runtime.workflows w on w.name = t.target and w.version = t.workflow_version
  where t.id = _workflow_output.task_id;
  if v_template is not null then
    return agent_runtime._resolve_template(v_template, agent_runtime._task_context(task_id));
  end if;
  select jsonb_object_agg(s.key, coalesce(s.output, 'null'::jsonb) order by s.id) into v_sinks
  from agent_runtime.steps s
  where s.task_id = _workflow_output.task_id and s.map_parent_id is null
    and not exists (select from agent_runtime.steps d
                    where d.task_id = s.task_id and d.map_parent_id is null and s.key = any (d.depends_on));
  if (select count(*) from jsonb_object_keys(v_sinks)) = 1 then
    return (select e.value from jsonb_each(v_sinks) as e);
  end if;
  return v_sinks;
end
$$;
