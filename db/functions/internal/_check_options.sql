-- Checks option objects (one per task, step or queue; NULL: none) against option_catalog() for a
-- scope ('task', 'step', 'queue') and returns each completed: the options it gives (a value as
-- _check_option_value returns it) over the defaults of all the others (JSON null where an option
-- has none), so that jsonb_populate_record reads every option by name. An option given as JSON
-- null takes its default. The first bad element raises: AR001 when it is not an object, AR003
-- for its keys that are no option of the scope (all of them named), then AR001 (AR002) for a
-- value of the wrong type or out of range. The catalog is read once per call, and then no
-- statement runs: set-based statements (grouping every element's keys) took four times as long
-- for the one object of a submit_task, and no less for the 10000 of a submit_tasks.
create or replace function agent_runtime._check_options(scope text, options jsonb[])
returns jsonb[]
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_what text := case when scope = 'task' then 'options' else scope || ' options' end;
  v_names text[];
  v_types text[];
  v_minimums numeric[];
  v_maximums numeric[];
  v_defaults jsonb;
  v_options jsonb;
  v_given jsonb;
  v_value jsonb;
  v_i integer;
  v_completed jsonb;
  v_result jsonb[] := '{}';
begin
  select array_agg(c.name), array_agg(c.type), array_agg(c.minimum), array_agg(c.maximum), jsonb_object_agg(c.name, c.default_value)
    into v_names, v_types, v_minimums, v_maximums, v_defaults
  from agent_runtime.option_catalog() c
  where c.scope = _check_options.scope;

  foreach v_options in array coalesce(options, array[null::jsonb]) loop
    if v_options is null or v_options = '{}'::jsonb then
      v_result := v_result || v_defaults;
      continue;
    end if;
    if jsonb_typeof(v_options) <> 'object' then
      perform agent_runtime._check_object(v_options, 'options');
    end if;
    if v_options - v_names <> '{}'::jsonb then
      raise exception using errcode = 'AR003',
        message = format('unknown %s: %s', v_what,
                         agent_runtime._quote((select string_agg(k, ', ' order by k) from jsonb_object_keys(v_options - v_names) as k))),
        hint = format('Known %s: %s (option_catalog() describes them).', v_what, array_to_string(v_names, ', '));
    end if;
    v_completed := v_defaults || v_options;
    for v_i in 1 .. cardinality(v_names) loop
      v_given := v_options -> v_names[v_i];
      continue when v_given is null;
      v_value := case when v_given = 'null'::jsonb then v_defaults -> v_names[v_i]
                      else agent_runtime._check_option_value(v_names[v_i], v_types[v_i], v_minimums[v_i], v_maximums[v_i], v_given) end;
      if v_value::text <> v_given::text then
        v_completed := jsonb_set(v_completed, array[v_names[v_i]], v_value);
      end if;
    end loop;
    v_result := v_result || v_completed;
  end loop;
  return v_result;
end
$$;
