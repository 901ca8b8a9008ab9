-- A workflow template with its references replaced: any object {"$ref": "a.b.c"} (that key
-- alone) becomes the value at that path of context ({"input": .., "steps": {key: {"output": ..,
-- "status": ..}}, "item": .., "index": ..}); a path that leads nowhere gives null. Array elements
-- are addressed by number ("items.0").
create or replace function agent_runtime._resolve_template(template jsonb, context jsonb)
returns jsonb
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if template is null or strpos(template::text, '"$ref"') = 0 then
    return template;
  end if;
  if jsonb_typeof(template) = 'object' then
    if agent_runtime._is_reference(template) then
      return coalesce(context #> string_to_array(template ->> '$ref', '.'), 'null'::jsonb);
    end if;
    return (select jsonb_object_agg(e.key, agent_runtime._resolve_template(e.value, context))
            from jsonb_each(template) as e);
  end if;
  return (select jsonb_agg(agent_runtime._resolve_template(e.value, context) order by e.ord)
          from jsonb_array_elements(template) with ordinality as e(value, ord));
end
$$;
