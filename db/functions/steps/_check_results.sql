-- The one check of what workers report, before anything is written: outputs with their effects
-- (kind 'output': nesting, at most 4 MiB, effects as _check_effects says) or errors (kind
-- 'error': a JSON object, nesting, at most 64 KiB). Raises the AR error of the first element
-- refused, naming its step. The single callbacks (complete_step, fail_step) raise it; the batch
-- ones isolate each refused element (_refused_results). Set-based but for effects, which only the
-- few elements that carry any go through, each checked in full.
create or replace function agent_runtime._check_results(
  step_ids bigint[], kind text, results jsonb[], effects jsonb[] default null)
returns void
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_first integer;
  v_effect record;
  v_limit integer := case kind when 'output' then 4194304 else 65536 end;
begin
  v_first := agent_runtime._first_too_deep(results);
  if v_first is not null then
    perform agent_runtime._check_json(results[v_first], format('%s of step %s', kind, step_ids[v_first]));
  end if;
  if kind = 'error' then
    select min(r.ord) into v_first
    from unnest(results) with ordinality as r(result, ord)
    where r.result is null or jsonb_typeof(r.result) <> 'object';
    if v_first is not null then
      raise exception using errcode = 'AR001',
        message = format('the error of step %s must be a JSON object', step_ids[v_first]),
        hint = 'Describe the failure as an object, e.g. {"message": "...", "type": "..."}.';
    end if;
  end if;
  select min(r.ord) into v_first
  from unnest(results) with ordinality as r(result, ord)
  where pg_column_size(r.result) > v_limit;
  if v_first is not null then
    perform agent_runtime._check_size(results[v_first], format('%s of step %s', kind, step_ids[v_first]), v_limit);
  end if;
  for v_effect in
    select r.step_id, r.effect
    from unnest(step_ids, effects) as r(step_id, effect)
    where r.effect is not null and r.effect <> 'null'::jsonb
  loop
    perform agent_runtime._check_effects(v_effect.effect, format('effects of step %s', v_effect.step_id));
  end loop;
end
$$;
