-- The grammar of a "when" condition (see _condition_holds): {"$ref": ..}, {"equals": [a, b]},
-- {"not": c}, {"all": [c, ..]}, {"any": [c, ..]}.
create or replace function agent_runtime._check_condition(condition jsonb, what text)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_op text;
begin
  if jsonb_typeof(condition) = 'object' and (select count(*) from jsonb_object_keys(condition)) = 1 then
    v_op := (select k from jsonb_object_keys(condition) as k);
    if v_op = '$ref' and jsonb_typeof(condition -> '$ref') = 'string' then
      return;
    elsif v_op = 'equals' and jsonb_typeof(condition -> 'equals') = 'array' and jsonb_array_length(condition -> 'equals') = 2 then
      return;
    elsif v_op = 'not' then
      perform agent_runtime._check_condition(condition -> 'not', what);
      return;
    elsif v_op in ('all', 'any') and jsonb_typeof(condition -> v_op) = 'array' and jsonb_array_length(condition -> v_op) > 0 then
      perform agent_runtime._check_condition(c, what) from jsonb_array_elements(condition -> v_op) as c;
      return;
    end if;
  end if;
  raise exception using errcode = 'AR080',
    message = format('%s is not a condition: %s', what, agent_runtime._quote(condition::text)),
    hint = 'Conditions: {"$ref": "steps.x.output.ok"} (truthy), {"equals": [a, b]}, {"not": c}, {"all": [..]}, {"any": [..]}.';
end
$$;
