-- Settles many steps in one round trip (the host's hot path). Each element gets an outcome
-- instead of an error, so that one stale lease does not reject the whole batch:
--   completed     the output is stored; the task moves on (a workflow's next steps start) or
--                 completes with its last step
--   canceled      the task was canceled (or failed) meanwhile; the output is dropped
--   duplicate     this lease already completed the step; nothing changes
--   already_failed  this lease already ended in a failure (reported, or its lease expired
--                 on the last attempt); nothing changes
--   stale_lease   the token is not the step's current lease (AR020 in complete_step)
--   not_found     no such step (AR012 in complete_step)
-- effects (optional, one element per step, JSON null or SQL NULL for none) commit with a
-- completed step, in the same transaction (_apply_effects): {"state_delta": {..}, "messages":
-- [..], "spawn": [{"target", "input", "options"}, ..], "allow_failures": bool}. A step that
-- spawns children waits for them instead of completing (outcome completed all the same): its
-- output becomes the array of their outputs once all have finished (_settle_children). Every
-- element's effects are checked before anything is written; effects of steps with any other
-- outcome are dropped.
--
-- Locks: the steps (in id order, in the statement that changes them), then their tasks, then a
-- task's session (for effects): the order of every transition (docs/operations.md).
create or replace function agent_runtime.complete_steps(
  step_ids bigint[],
  lease_tokens uuid[],
  outputs jsonb[],
  effects jsonb[] default null)
returns table (step_id bigint, outcome text)
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
set jit = off
set enable_bitmapscan = off
as $$
#variable_conflict use_column
declare
  v_deep integer;
  v_too_large bigint;
  v_effect record;
  v_spawning bigint[];
  v_ids bigint[];
  v_outcomes text[];
  v_simple uuid[];
  v_moved bigint[];
  v_locked agent_runtime._leased_step[];
  v_tokens uuid[];
  v_outputs jsonb[];
  v_effects jsonb[];
begin
  -- GUARD
  perform agent_runtime._check_array(complete_steps.outputs, 'outputs');
  perform agent_runtime._check_array(complete_steps.effects, 'effects');
  perform agent_runtime._check_step_callbacks(complete_steps.step_ids, complete_steps.lease_tokens,
                                              cardinality(complete_steps.outputs), 'outputs');
  v_deep := agent_runtime._first_too_deep(complete_steps.outputs);
  if v_deep is not null then
    perform agent_runtime._check_json(complete_steps.outputs[v_deep], format('output of step %s', complete_steps.step_ids[v_deep]));
  end if;
  select r.step_id into v_too_large
  from unnest(complete_steps.step_ids, complete_steps.outputs) as r(step_id, output)
  where pg_column_size(r.output) > 4194304
  limit 1;
  if v_too_large is not null then
    perform agent_runtime._check_size(
      complete_steps.outputs[array_position(complete_steps.step_ids, v_too_large)],
      format('output of step %s', v_too_large), 4194304);
  end if;
  if complete_steps.effects is not null and cardinality(complete_steps.effects) <> cardinality(complete_steps.step_ids) then
    raise exception using errcode = 'AR001',
      message = format('step_ids and effects must have the same length (got %s and %s)',
                       cardinality(complete_steps.step_ids), cardinality(complete_steps.effects)),
      hint = 'Pass one effects object (or NULL) per step, or NULL for none at all.';
  end if;
  -- Effects: only the few elements that carry any are looked at, each checked in full.
  for v_effect in
    select r.step_id, r.effect
    from unnest(complete_steps.step_ids, complete_steps.effects) as r(step_id, effect)
    where r.effect is not null and r.effect <> 'null'::jsonb
  loop
    perform agent_runtime._check_effects(v_effect.effect, format('effects of step %s', v_effect.step_id));
    if nullif(v_effect.effect -> 'spawn', 'null'::jsonb) is not null then
      v_spawning := array_append(v_spawning, v_effect.step_id);
    end if;
  end loop;

  -- The reports in step id order, one per step (the first of duplicates), so that every array
  -- below lines up with the locked steps without a join.
  select array_agg(r.step_id order by r.step_id), array_agg(r.lease_token order by r.step_id),
         array_agg(coalesce(r.output, 'null'::jsonb) order by r.step_id), array_agg(r.effect order by r.step_id)
    into v_ids, v_tokens, v_outputs, v_effects
  from (select distinct on (e.step_id) e.step_id, e.lease_token, e.output, e.effect
        from unnest(complete_steps.step_ids, complete_steps.lease_tokens, complete_steps.outputs,
                    coalesce(complete_steps.effects, array_fill(null::jsonb, array[cardinality(complete_steps.step_ids)])))
             with ordinality as e(step_id, lease_token, output, effect, ord)
        order by e.step_id, e.ord) r;

  -- LOCK (settling runs whose task was canceled meanwhile)
  select array_agg(l) into v_locked
  from agent_runtime._lock_leased_steps(v_ids, v_tokens) as l;

  -- MUTATE: the steps still running under these leases, and their events
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
    from (select k.step_id, k.token_ok, k.status, k.output, k.effect, k.step_id = any (v_spawning) as spawns
          from unnest(v_locked, v_outputs, v_effects) as k(step_id, task_id, status, token_ok, wait_reason, output, effect)) u
    where s.id = u.step_id and u.token_ok and u.status = 'running'
    returning s.id, s.task_id, s.status, s.leased_by, s.attempt, s.map_parent_id
  ), logged as (
    insert into agent_runtime.events (type, task_id, step_id, worker_id, data)
    select 'step.' || x.status, x.task_id, x.id, x.leased_by,
           case x.status when 'completed' then jsonb_build_object('attempt', x.attempt)
                         else jsonb_build_object('reason', 'children', 'attempt', x.attempt) end
    from settled x
    order by x.id
  )
  select array_agg(x.task_id order by x.task_id) filter (where x.status = 'completed' and x.map_parent_id is null and t.workflow_version is null),
         array_agg(x.id order by x.id) filter (where x.status = 'completed' and (x.map_parent_id is not null or t.workflow_version is not null))
    into v_simple, v_moved
  from settled x
  join agent_runtime.tasks t on t.id = x.task_id;

  select array_agg(case when k.token_ok and k.status = 'running' then 'completed'
                        else agent_runtime._report_outcome('complete', k) end order by k.step_id)
    into v_outcomes
  from unnest(v_locked) as k;

  -- MUTATE: effects of completed steps, then their tasks (a statement of their own, so that it
  -- sees the steps completed above)
  for v_effect in
    select o.step_id, o.effect
    from unnest(v_ids, v_outcomes, v_effects) as o(step_id, outcome, effect)
    where o.outcome = 'completed' and o.effect is not null and o.effect <> 'null'::jsonb
    order by o.step_id
  loop
    perform agent_runtime._apply_effects(v_effect.step_id, v_effect.effect);
  end loop;
  if v_simple is not null then
    perform agent_runtime._settle_tasks(v_simple);
  end if;
  if v_moved is not null then
    perform agent_runtime._step_finished(v_moved);
  end if;

  return query
  select o.step_id, o.outcome
  from unnest(v_ids, v_outcomes) as o(step_id, outcome)
  order by o.step_id;
end
$$;
