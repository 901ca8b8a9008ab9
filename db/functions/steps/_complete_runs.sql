-- Completes running steps the caller holds under their leases (complete_steps): each is completed
-- with its output, or waits for its children when its effects spawn some (wait_reason
-- 'children'), with its event; then the effects are committed, in step id order
-- (_apply_effects). Effects refused as they are applied (a child that its target refuses) raise:
-- complete_steps then settles each step on its own. Returns the steps it settled.
create or replace function agent_runtime._complete_runs(step_ids bigint[], outputs jsonb[], effects jsonb[])
returns bigint[]
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_ids bigint[];
  v_effect record;
begin
  with settled as (
    update agent_runtime.steps s
    set status = case when u.spawns then 'waiting' else 'completed' end,
        output = case when u.spawns then s.output else u.output end,
        wait_reason = case when u.spawns then 'children' else s.wait_reason end,
        allow_failures = coalesce((u.effect ->> 'allow_failures')::boolean, false),
        yielded_at = case when u.spawns then now() else s.yielded_at end,
        lease_expires_at = null,
        completed_at = case when u.spawns then null else now() end,
        updated_at = now()
    from (select r.step_id, r.output, r.effect, nullif(r.effect -> 'spawn', 'null'::jsonb) is not null as spawns
          from unnest(_complete_runs.step_ids, _complete_runs.outputs, _complete_runs.effects) as r(step_id, output, effect)) u
    where s.id = u.step_id and s.status = 'running'
    returning s.id, s.task_id, s.status, s.leased_by, s.attempt
  ), logged as (
    insert into agent_runtime.events (type, task_id, step_id, worker_id, data)
    select 'step.' || x.status, x.task_id, x.id, x.leased_by,
           case x.status when 'completed' then jsonb_build_object('attempt', x.attempt)
                         else jsonb_build_object('reason', 'children', 'attempt', x.attempt) end
    from settled x
    order by x.id
  )
  select array_agg(x.id order by x.id) into v_ids from settled x;

  for v_effect in
    select r.step_id, r.effect
    from unnest(_complete_runs.step_ids, _complete_runs.effects) as r(step_id, effect)
    where r.effect is not null and r.effect <> 'null'::jsonb and r.step_id = any (v_ids)
    order by r.step_id
  loop
    perform agent_runtime._apply_effects(v_effect.step_id, v_effect.effect);
  end loop;

  return coalesce(v_ids, '{}');
end
$$;
