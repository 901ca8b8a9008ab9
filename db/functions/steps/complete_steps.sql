-- Settles many steps in one round trip (the host's hot path). Each element gets an outcome
-- instead of an error, so that one stale lease or one invalid result does not reject the whole
-- batch. One row per distinct step id, ordered by step id, with its outcome (code and message
-- are NULL but for refused):
--   completed     the output is stored; the task moves on (a workflow's next steps start) or
--                 completes with its last step
--   refused       the output or effects are not a valid result (_check_results: nested too deep,
--                 too large, malformed effects; or effects refused as they were applied, such as
--                 a child its target refuses): code and message are the AR error complete_step
--                 raises for it. The step and its task failed for good with error
--                 {"code": "invalid_result", "sqlstate", "message", "hint"}: running the agent
--                 again would report the same
--   canceled      the task was canceled (or failed) meanwhile; the output is dropped
--   duplicate     this lease already completed the step; nothing changes
--   already_failed  this lease already ended in a failure (reported, or its lease expired
--                 on the last attempt); nothing changes
--   stale_lease   the token is not the step's current lease (AR020 in complete_step)
--   not_found     no such step (AR012 in complete_step)
-- A refused element whose step no longer runs under its lease gets that outcome instead (nothing
-- is written for it). Whole calls are refused only for their shape: arrays NULL, of different
-- lengths, with a NULL id or token, over 5000 steps.
-- effects (optional, one element per step, JSON null or SQL NULL for none) commit with a
-- completed step, in the same transaction (_apply_effects): {"state_delta": {..}, "messages":
-- [..], "spawn": [{"target", "input", "options"}, ..], "allow_failures": bool}. A step that
-- spawns children waits for them instead of completing (outcome completed all the same): its
-- output becomes the array of their outputs once all have finished (_settle_children). Effects
-- of steps with any other outcome are dropped.
--
-- Locks: the steps (in id order, in the statement that changes them), then their tasks, then a
-- task's session (for effects): the order of every transition (docs/operations.md).
create or replace function agent_runtime.complete_steps(
  step_ids bigint[],
  lease_tokens uuid[],
  outputs jsonb[],
  effects jsonb[] default null)
returns table (step_id bigint, outcome text, code text, message text)
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
set jit = off
set enable_bitmapscan = off
as $$
#variable_conflict use_column
declare
  v_ids bigint[];
  v_tokens uuid[];
  v_outputs jsonb[];
  v_effects jsonb[];
  v_codes text[];
  v_messages text[];
  v_refusals jsonb[];
  v_locked agent_runtime._leased_step[];
  v_run integer[];
  v_done bigint[];
  v_at integer;
  v_state text;
  v_message text;
  v_hint text;
  v_simple uuid[];
  v_moved bigint[];
  v_failed bigint[];
  v_failures jsonb[];
begin
  -- GUARD: the shape of the call; each element's output and effects are checked on their own below
  perform agent_runtime._check_array(complete_steps.outputs, 'outputs');
  perform agent_runtime._check_array(complete_steps.effects, 'effects');
  perform agent_runtime._check_step_callbacks(complete_steps.step_ids, complete_steps.lease_tokens,
                                              cardinality(complete_steps.outputs), 'outputs');
  if complete_steps.effects is not null and cardinality(complete_steps.effects) <> cardinality(complete_steps.step_ids) then
    raise exception using errcode = 'AR001',
      message = format('step_ids and effects must have the same length (got %s and %s)',
                       cardinality(complete_steps.step_ids), cardinality(complete_steps.effects)),
      hint = 'Pass one effects object (or NULL) per step, or NULL for none at all.';
  end if;

  -- The reports in step id order, one per step (the first of duplicates), with the refusal of
  -- each refused one, so that every array below lines up with the locked steps without a join.
  select array_agg(r.step_id order by r.step_id), array_agg(r.lease_token order by r.step_id),
         array_agg(coalesce(r.output, 'null'::jsonb) order by r.step_id), array_agg(r.effect order by r.step_id),
         array_agg(r.code order by r.step_id), array_agg(r.message order by r.step_id), array_agg(r.refusal order by r.step_id)
    into v_ids, v_tokens, v_outputs, v_effects, v_codes, v_messages, v_refusals
  from (select distinct on (e.step_id) e.step_id, e.lease_token, e.output, e.effect, x.code, x.message, x.error as refusal
        from unnest(complete_steps.step_ids, complete_steps.lease_tokens, complete_steps.outputs,
                    coalesce(complete_steps.effects, array_fill(null::jsonb, array[cardinality(complete_steps.step_ids)])))
             with ordinality as e(step_id, lease_token, output, effect, ord)
        left join agent_runtime._refused_results(complete_steps.step_ids, 'output', complete_steps.outputs,
                                                 complete_steps.effects) as x on x.ord = e.ord
        order by e.step_id, e.ord) r;

  -- LOCK (settling runs whose task was canceled meanwhile)
  select array_agg(l) into v_locked
  from agent_runtime._lock_leased_steps(v_ids, v_tokens) as l;

  -- MUTATE: the runs still going under these leases with a valid result complete (_complete_runs).
  -- Effects refused as they are applied undo all of these completions (a subtransaction, taken
  -- only when there are effects): then each step is completed on its own, and only the refused
  -- ones are left out.
  v_run := array(select k.ord::integer
                 from unnest(v_locked, v_codes) with ordinality as k(step_id, task_id, status, token_ok, wait_reason, code, ord)
                 where k.token_ok and k.status = 'running' and k.code is null
                 order by k.ord);
  if complete_steps.effects is null then
    v_done := agent_runtime._complete_runs(array(select v_ids[i] from unnest(v_run) as i),
                                           array(select v_outputs[i] from unnest(v_run) as i), null);
  else
    begin
      v_done := agent_runtime._complete_runs(array(select v_ids[i] from unnest(v_run) as i),
                                             array(select v_outputs[i] from unnest(v_run) as i),
                                             array(select v_effects[i] from unnest(v_run) as i));
    exception when others then
      if left(sqlstate, 2) <> 'AR' then
        raise;
      end if;
      v_done := '{}';
      foreach v_at in array v_run loop
        begin
          v_done := v_done || agent_runtime._complete_runs(array[v_ids[v_at]], array[v_outputs[v_at]], array[v_effects[v_at]]);
        exception when others then
          get stacked diagnostics v_state = returned_sqlstate, v_message = message_text, v_hint = pg_exception_hint;
          if left(v_state, 2) <> 'AR' then
            raise;
          end if;
          v_codes[v_at] := v_state;
          v_messages[v_at] := v_message;
          v_refusals[v_at] := agent_runtime._invalid_result(v_state, v_message, nullif(v_hint, ''));
        end;
      end loop;
    end;
  end if;

  -- MUTATE: the tasks of completed steps (a statement of their own, so that it sees the steps
  -- completed above), then the refused runs fail for good, with their tasks
  select array_agg(s.task_id order by s.task_id) filter (where s.status = 'completed' and s.map_parent_id is null and t.workflow_version is null),
         array_agg(s.id order by s.id) filter (where s.status = 'completed' and (s.map_parent_id is not null or t.workflow_version is not null))
    into v_simple, v_moved
  from agent_runtime.steps s
  join agent_runtime.tasks t on t.id = s.task_id
  where s.id = any (v_done);
  if v_simple is not null then
    perform agent_runtime._settle_tasks(v_simple);
  end if;
  if v_moved is not null then
    perform agent_runtime._step_finished(v_moved);
  end if;
  select array_agg(k.step_id order by k.step_id), array_agg(k.refusal order by k.step_id)
    into v_failed, v_failures
  from unnest(v_locked, v_refusals) as k(step_id, task_id, status, token_ok, wait_reason, refusal)
  where k.token_ok and k.status = 'running' and k.refusal is not null;
  if v_failed is not null then
    perform agent_runtime._fail_runs(v_failed, v_failures, null);
  end if;

  return query
  select k.step_id,
         case when not (k.token_ok and k.status = 'running')
              then agent_runtime._report_outcome('complete', row(k.step_id, k.task_id, k.status, k.token_ok, k.wait_reason)::agent_runtime._leased_step)
              when k.code is not null then 'refused'
              else 'completed' end,
         case when k.token_ok and k.status = 'running' then k.code end,
         case when k.token_ok and k.status = 'running' then k.message end
  from unnest(v_locked, v_codes, v_messages) as k(step_id, task_id, status, token_ok, wait_reason, code, message)
  order by k.step_id;
end
$$;
