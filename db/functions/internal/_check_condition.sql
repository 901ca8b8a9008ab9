-- The grammar of a "when" condition (see _condition_holds): {"$ref": ..}, {"equals": [a, b]},
-- {"not": c}, {"all": [c, ..]}, {"any": [c, ..]}. Checked a level at a time, every condition of
-- a level in one statement: no recursion, whatever the nesting, and one statement per level
-- rather than a call per condition, whose cost grows with every reference of a large "any".
create or replace function agent_runtime._check_condition(condition jsonb, what text)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_level jsonb[] := array[condition];
  v_bad jsonb;
begin
  while cardinality(v_level) > 0 loop
    select c.value into v_bad
    from unnest(v_level) as c(value)
    cross join lateral (select min(k) as op, count(*) as keys from jsonb_object_keys(
                          case when jsonb_typeof(c.value) = 'object' then c.value else '{}'::jsonb end) as k) as o
    where not (o.keys = 1
               and case o.op
                     when '$ref' then jsonb_typeof(c.value -> '$ref') = 'string'
                     when 'equals' then jsonb_typeof(c.value -> 'equals') = 'array' and jsonb_array_length(c.value -> 'equals') = 2
                     when 'not' then true
                     when 'all' then jsonb_typeof(c.value -> 'all') = 'array' and jsonb_array_length(c.value -> 'all') > 0
                     when 'any' then jsonb_typeof(c.value -> 'any') = 'array' and jsonb_array_length(c.value -> 'any') > 0
                     else false end)
    limit 1;
    if found then
      raise exception using errcode = 'AR080',
        message = format('%s is not a condition: %s', what, agent_runtime._quote(v_bad::text)),
        hint = 'Conditions: {"$ref": "steps.x.output.ok"} (truthy), {"equals": [a, b]}, {"not": c}, {"all": [..]}, {"any": [..]}.';
    end if;
    v_level := array(select x.value
                     from unnest(v_level) as c(value)
                     cross join lateral (select c.value -> 'not' where c.value ? 'not'
                                         union all
                                         select e.value from jsonb_array_elements(coalesce(c.value -> 'all', c.value -> 'any')) as e(value)
                                         where c.value ? 'all' or c.value ? 'any') as x(value));
  end loop;
end
$$;
