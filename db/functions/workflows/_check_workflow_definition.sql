-- Checks a workflow definition (define_workflow) and returns it with its steps in dependency
-- order (a step after every step it depends on). Every error names the step (AR080, or AR010 for
-- an unknown agent):
--   {"steps": [step, ..], "output": <template>, "input_schema": {..}}, 1 to 1000 steps and at
--   most 50000 depends_on entries in all;
--   a step: "key" (unique: letters, digits, _ : / -), "agent" (registered) or "wait_for" (a
--   template of an event name, no agent), "depends_on" (keys of this definition, no cycle),
--   "input" (template), "when" (condition, see _condition_holds), "map" ({"$ref": ..} to an
--   array), and the step options of option_catalog() (retry policy, timeout);
--   references: "input..." anywhere; "steps.<key>.output..." (or ".status") only to a step this
--   one depends on, directly or not (the output template: to any step); "item" and "index" only
--   in the input of a map step.
--
-- The work is linear in the definition's size (steps, depends_on entries, references): keys are
-- matched by hash joins; Kahn's algorithm orders the steps over arrays indexed by step (each
-- step and each edge once); each step's upstream steps are a bit string of one bit per step,
-- OR-ed along each edge as Kahn's algorithm leaves the step, so that a reference is one bit
-- test, where scans of every step per step, per round and per reference grew with the square
-- of the definition. Steps are stored by depth (the longest path from a step without
-- dependencies), then by their place in the definition.
create or replace function agent_runtime._check_workflow_definition(definition jsonb)
returns jsonb
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_steps jsonb;
  v_n integer;
  v_step record;
  v_bad record;
  v_keys text[] := '{}';
  v_index jsonb;      -- each key's step number (a lookup that needs no plan)
  v_edges integer;
  v_from integer[];   -- the edges (a step and one that depends on it), by the first
  v_to integer[];
  v_first integer[];  -- v_first[i]: where the edges from step i start in v_from and v_to
  v_waiting integer[];-- how many dependencies of each step are not yet ordered
  v_depth integer[];
  v_up varbit[];      -- v_up[i]: bit j - 1 set when step j is upstream of step i
  v_order integer[] := '{}';
  v_next integer := 1;
  v_u integer;
  v_w integer;
  v_reach varbit;
  v_unknown jsonb;
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
  v_n := jsonb_array_length(v_steps);
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
    perform agent_runtime._check_workflow_step(v_step.step);
    v_keys := v_keys || (v_step.step ->> 'key');
  end loop;

  select k into v_bad from unnest(v_keys) as k group by k having count(*) > 1 limit 1;
  if found then
    raise exception using errcode = 'AR080',
      message = format('step %s is defined twice', v_bad.k),
      hint = 'Step keys are unique within a workflow.';
  end if;
  v_index := (select jsonb_object_agg(k.key, k.i) from unnest(v_keys) with ordinality as k(key, i));

  -- the edges, by step number: unknown keys first, then the limit
  select count(*)::integer,
         array_agg(d.f order by d.f, d.ord) filter (where d.f is not null),
         array_agg(d.ord order by d.f, d.ord) filter (where d.f is not null),
         (array_agg(jsonb_build_object('step', v_keys[d.ord], 'dep', d.dep) order by d.ord) filter (where d.f is null))[1]
    into v_edges, v_from, v_to, v_unknown
  from (select e.ord::integer as ord, x.dep, (v_index ->> x.dep)::integer as f
        from jsonb_array_elements(v_steps) with ordinality as e(value, ord)
        cross join lateral jsonb_array_elements_text(coalesce(e.value -> 'depends_on', '[]'::jsonb)) as x(dep)) as d;
  if v_unknown is not null then
    raise exception using errcode = 'AR080',
      message = format('step %s depends on an unknown step %s', v_unknown ->> 'step', agent_runtime._quote(v_unknown ->> 'dep')),
      hint = 'depends_on names keys of steps of this definition.';
  end if;
  if v_edges > 50000 then
    raise exception using errcode = 'AR080',
      message = format('the steps have %s depends_on entries in all, over the limit of 50000', v_edges),
      hint = 'Depend on the steps that must finish first; what they depend on is upstream already.';
  end if;

  -- dependency order (Kahn); what cannot be placed is on a cycle or after one
  select array_agg(coalesce(f.first, 0) order by s.i), array_agg(coalesce(w.n, 0) order by s.i)
    into v_first, v_waiting
  from generate_series(1, v_n) as s(i)
  left join (select x.f, min(x.pos)::integer as first from unnest(v_from) with ordinality as x(f, pos) group by x.f) f on f.f = s.i
  left join (select x.t, count(*)::integer as n from unnest(v_to) as x(t) group by x.t) w on w.t = s.i;
  v_depth := array_fill(0, array[v_n]);
  v_up := array_fill(repeat('0', v_n)::varbit, array[v_n]);
  v_order := array(select s.i from generate_series(1, v_n) as s(i) where v_waiting[s.i] = 0);
  while v_next <= cardinality(v_order) loop
    v_u := v_order[v_next];
    v_next := v_next + 1;
    continue when v_first[v_u] = 0;
    v_reach := set_bit(v_up[v_u], v_u - 1, 1);
    for p in v_first[v_u] .. cardinality(v_from) loop
      exit when v_from[p] <> v_u;
      v_w := v_to[p];
      v_up[v_w] := v_up[v_w] | v_reach;
      v_depth[v_w] := greatest(v_depth[v_w], v_depth[v_u] + 1);
      v_waiting[v_w] := v_waiting[v_w] - 1;
      if v_waiting[v_w] = 0 then
        v_order := v_order || v_w;
      end if;
    end loop;
  end loop;
  if cardinality(v_order) < v_n then
    raise exception using errcode = 'AR080',
      message = format('the steps %s depend on each other in a cycle (or on a step of that cycle)',
                       agent_runtime._quote((select string_agg(v_keys[s.i], ', ' order by s.i)
                                             from generate_series(1, v_n) as s(i) where v_waiting[s.i] > 0))),
      hint = 'A workflow is a DAG: remove a depends_on entry to break the cycle.';
  end if;

  -- references to other steps' outputs: only upstream ones
  select r.k, r.ref, r.part into v_bad
  from (select e.ord::integer as ord, e.value ->> 'key' as k, x.ref #>> '{}' as ref, p.part, e.value ? 'map' as is_map,
               split_part(x.ref #>> '{}', '.', 1) as head, (v_index ->> split_part(x.ref #>> '{}', '.', 2))::integer as step
        from jsonb_array_elements(v_steps) with ordinality as e(value, ord)
        cross join lateral (values ('input'), ('when'), ('map'), ('wait_for')) as p(part)
        cross join lateral jsonb_path_query(coalesce(e.value -> p.part, 'null'::jsonb), 'strict $.**."$ref"') as x(ref)) r
  where r.head not in ('input', 'steps', 'item', 'index')
     or (r.head in ('item', 'index') and not (r.is_map and r.part = 'input'))
     or (r.head = 'steps'
         and (r.step is null or get_bit(v_up[r.ord], r.step - 1) = 0 or split_part(r.ref, '.', 3) not in ('', 'output', 'status')))
  order by r.ord
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
     or (split_part(r.ref #>> '{}', '.', 1) = 'steps' and not v_index ? split_part(r.ref #>> '{}', '.', 2))
  limit 1;
  if found then
    raise exception using errcode = 'AR080',
      message = format('the output template''s reference %s names no input or step', agent_runtime._quote(v_bad.ref)),
      hint = 'The output template may reference "input.<path>" and "steps.<key>.output.<path>" of any step.';
  end if;

  return jsonb_set(definition, '{steps}',
                   (select jsonb_agg(e.value order by v_depth[e.ord::integer], e.ord)
                    from jsonb_array_elements(v_steps) with ordinality as e(value, ord)));
end
$$;
