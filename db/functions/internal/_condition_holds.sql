-- A workflow step's "when" condition, evaluated over the template context (_resolve_template):
--   {"$ref": path}            the value is truthy: not null, false, 0, "", [] or {}
--   {"equals": [a, b]}        a and b (templates) resolve to equal JSON
--   {"not": c}, {"all": [c, ..]}, {"any": [c, ..]}
-- _check_condition checks the grammar when the workflow is defined.
create or replace function agent_runtime._condition_holds(condition jsonb, context jsonb)
returns boolean
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_value jsonb;
begin
  if condition ? '$ref' then
    v_value := agent_runtime._resolve_template(condition, context);
    return v_value not in ('null'::jsonb, 'false'::jsonb, '0'::jsonb, '""'::jsonb, '[]'::jsonb, '{}'::jsonb);
  elsif condition ? 'equals' then
    return agent_runtime._resolve_template(condition -> 'equals' -> 0, context)
         = agent_runtime._resolve_template(condition -> 'equals' -> 1, context);
  elsif condition ? 'not' then
    return not agent_runtime._condition_holds(condition -> 'not', context);
  elsif condition ? 'all' then
    return not exists (select from jsonb_array_elements(condition -> 'all') as c
                       where not agent_runtime._condition_holds(c, context));
  else
    return exists (select from jsonb_array_elements(condition -> 'any') as c
                   where agent_runtime._condition_holds(c, context));
  end if;
end
$$;
