-- Checks a workflow definition (define_workflow) and returns it with its steps in dependency
-- order (a step after every step it depends on). Every error names the step (AR080, or AR010 for
-- an unknown agent):
--   {"steps": [step, ..], "output": <template>, "input_schema": {..}}, 1 to 1000 steps;
--   a step: "key" (unique: letters, digits, _ : / -), "agent" (registered) or "wait_for" (a
--   template of an event name, no agent), "depends_on" (keys of this definition, no cycle),
--   "input" (template), "when" (condition, see _condition_holds), "map" ({"$ref": ..} to an
--   array), "max_attempts" (1-1000), "backoff_seconds" (0-86400), "max_backoff_seconds"
--   (0-604800), "timeout" (1-604800 seconds);
--   references: "input..." anywhere; "steps.<key>.output..." (or ".status") only to a step this
--   one depends on, directly or not (the output template: to any step); "item" and "index" only
--   in the input of a map step.
create or replace function agent_runtime._check_workflow_definition(definition jsonb)
returns jsonb
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_steps jsonb;
  v_step record;
  v_bad record;
  v_order jsonb := '[]'::jsonb;
  v_placed text[] := '{}';
  v_progress boolean;
begin
  perform agent_runtime._check_object(definition, 'definition');
  perform agent_runtime._check_keys(definition, array['steps', 'output', 'input_schema'], 'keys of a workflow definition');
  perform agent_runtime._check_size(definition, 'definition', 1048576);
  v_steps := definition -> 'steps';
  if jsonb_typeof(v_steps) is distinct from 'array' or jsonb_array_length(v_steps) not between 1 and 1000 then
    raise exception using errcode = 'AR080',
      message = 'a workflow definition needs "steps", an array of 1 to 1000 steps',
      hint = 'Pass {"steps": [{"key": "summarize", "agent": "summarize"}, ...]}.';
  end if;
  if jsonb_path_exists(definition -> 'output', 'strict $.**{65}') then
    raise exception using errcode = 'AR080',
      message = 'the output template nests more than 64 levels',
      hint = 'Templates nest at most 64 levels of objects and arrays: pass deep data in the task''s input and reference it.';
  end if;
  if definition ? 'input_schema' then
    perform agent_runtime._check_object(definition -> 'input_schema', 'definition "input_schema"');
  end if;

  for v_step in select e.value as step, e.ord from jsonb_array_elements(v_steps) with ordinality as e(value, ord) loop
    if jsonb_typeof(v_step.step) is distinct from 'object' then
      raise exception using errcode = 'AR080',
        message = format('step %s of the definition is not an object', v_step.ord),
        hint = 'Each step is an object such as {"key": "summarize", "agent": "summarize"}.';
    end if;
    if jsonb_typeof(v_step.step -> 'key') is distinct from 'string'
       or v_step.step ->> 'key' !~ '^[A-Za-z0-9][A-Za-z0-9_:/-]{0,99}$' then
      raise exception using errcode = 'AR080',
        message = format('step %s has no valid "key": %s', v_step.ord, agent_runtime._quote(coalesce(v_step.step -> 'key', 'null'::jsonb)::text)),
        hint = 'Keys have 1 to 100 characters: letters, digits and _ : / -, starting with a letter or digit (no dots: references use them).';
    end if;
    perform agent_runtime._check_workflow_step(v_step.step, v_steps);
  end loop;

  select k into v_bad from jsonb_array_elements(v_steps) as e(value), lateral (select e.value ->> 'key' as k) x
  group by k having count(*) > 1 limit 1;
  if found then
    raise exception using errcode = 'AR080',
      message = format('step %s is defined twice', v_bad.k),
      hint = 'Step keys are unique within a workflow.';
  end if;

  -- dependency order (Kahn); what cannot be placed is on a cycle
  loop
    v_progress := false;
    for v_step in
      select e.value as step from jsonb_array_elements(v_steps) with ordinality as e(value, ord)
      where not (e.value ->> 'key') = any (v_placed)
        and not exists (select from jsonb_array_elements_text(coalesce(e.value -> 'depends_on', '[]'::jsonb)) as d
                        where not d = any (v_placed))
      order by e.ord
    loop
      v_order := v_order || jsonb_build_array(v_step.step);
      v_placed := v_placed || (v_step.step ->> 'key');
      v_progress := true;
    end loop;
    exit when not v_progress;
  end loop;
  if jsonb_array_length(v_order) < jsonb_array_length(v_steps) then
    select string_agg(e.value ->> 'key', ', ' order by e.ord) into v_bad
    from jsonb_array_elements(v_steps) with ordinality as e(value, ord)
    where not (e.value ->> 'key') = any (v_placed);
    raise exception using errcode = 'AR080',
      message = format('the steps %s depend on each other in a cycle (or on a step of that cycle)', v_bad.string_agg),
      hint = 'A workflow is a DAG: remove a depends_on entry to break the cycle.';
  end if;

  -- references to other steps' outputs: only upstream ones
  with recursive edges as (
    select e.value ->> 'key' as k, d.dep
    from jsonb_array_elements(v_steps) as e(value)
    cross join lateral jsonb_array_elements_text(coalesce(e.value -> 'depends_on', '[]'::jsonb)) as d(dep)
  ), upstream(k, u) as (
    select k, dep from edges
    union
    select up.k, e.dep from upstream up join edges e on e.k = up.u
  ), refs as (
    select e.value ->> 'key' as k, r.ref #>> '{}' as ref, part, e.value ? 'map' as is_map
    from jsonb_array_elements(v_steps) as e(value)
    cross join lateral (values ('input'), ('when'), ('map'), ('wait_for')) as p(part)
    cross join lateral jsonb_path_query(coalesce(e.value -> p.part, 'null'::jsonb), 'strict $.**."$ref"') as r(ref)
  )
  select r.k, r.ref, r.part, r.is_map into v_bad
  from refs r
  where split_part(r.ref, '.', 1) not in ('input', 'steps', 'item', 'index')
     or (split_part(r.ref, '.', 1) in ('item', 'index') and not (r.is_map and r.part = 'input'))
     or (split_part(r.ref, '.', 1) = 'steps'
         and (not exists (select from upstream u where u.k = r.k and u.u = split_part(r.ref, '.', 2))
              or split_part(r.ref, '.', 3) not in ('', 'output', 'status')))
  limit 1;
  if found then
    raise exception using errcode = 'AR080',
      message = format('step %s: reference %s in its %s is not allowed', v_bad.k, agent_runtime._quote(v_bad.ref), v_bad.part),
      hint = 'References are "input.<path>", "steps.<key>.output.<path>" of a step it depends on (directly or not), '
             'and "item" or "index" in the input of a map step.';
  end if;
  select r.ref #>> '{}' as ref into v_bad
  from jsonb_path_query(coalesce(definition -> 'output', 'null'::jsonb), 'strict $.**."$ref"') as r(ref)
  where split_part(r.ref #>> '{}', '.', 1) not in ('input', 'steps')
     or (split_part(r.ref #>> '{}', '.', 1) = 'steps'
         and not exists (select from jsonb_array_elements(v_steps) as e(value) where e.value ->> 'key' = split_part(r.ref #>> '{}', '.', 2)))
  limit 1;
  if found then
    raise exception using errcode = 'AR080',
      message = format('the output template''s reference %s names no input or step', agent_runtime._quote(v_bad.ref)),
      hint = 'The output template may reference "input.<path>" and "steps.<key>.output.<path>" of any step.';
  end if;

  return jsonb_set(definition, '{steps}', v_order);
end
$$;
