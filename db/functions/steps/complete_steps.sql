-- Settles many steps in one round trip (the host's hot path). Each element gets an outcome
-- instead of an error, so that one stale lease does not reject the whole batch:
--   completed     the output is stored; the task completes with its last step
--   canceled      the task was canceled; the output is dropped
--   duplicate     this lease already completed the step; nothing changes
--   already_failed  this lease already ended in a failure (reported, or its lease expired
--                 on the last attempt); nothing changes
--   stale_lease   the token is not the step's current lease (AR020 in complete_step)
--   not_found     no such step (AR012 in complete_step)
-- effects (optional, one element per step, JSON null or SQL NULL for none) commit with a
-- completed step, in the same transaction: {"state_delta": {..}, "messages": [..]}. The
-- state_delta is committed like append_event's (scoped by prefix, "temp:" never stored, null
-- deletes) and recorded in the actions of the step's last message event (or of an event of
-- its own); messages (see message_event; author: the agent unless given) are appended to the
-- task's session, linked to the task. Every element's effects are checked before anything is
-- written; effects of steps with any other outcome are dropped.
create or replace function agent_runtime.complete_steps(
  step_ids bigint[],
  lease_tokens uuid[],
  outputs jsonb[],
  effects jsonb[] default null)
returns table (step_id bigint, outcome text)
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_too_large bigint;
  v_ids bigint[];
  v_outcomes text[];
  v_effect record;
  v_delta jsonb;
  v_events jsonb;
  v_session agent_runtime.sessions;
begin
  -- GUARD
  perform agent_runtime._check_step_callbacks(complete_steps.step_ids, complete_steps.lease_tokens,
                                             cardinality(complete_steps.outputs), 'outputs');
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
  end loop;

  -- LOCK + MUTATE
  with requested as (
    select distinct on (r.step_id) r.step_id, r.lease_token, coalesce(r.output, 'null'::jsonb) as output
    from unnest(complete_steps.step_ids, complete_steps.lease_tokens, complete_steps.outputs)
         with ordinality as r(step_id, lease_token, output, ord)
    order by r.step_id, r.ord
  ), current_state as (
    select s.id, s.status, s.cancel_requested, coalesce(s.lease_token = r.lease_token, false) as token_ok, r.output
    from agent_runtime.steps s
    join requested r on r.step_id = s.id
    order by s.id
    for update of s
  ), completed as (
    update agent_runtime.steps s
    set status = 'completed', output = cs.output, lease_expires_at = null,
        completed_at = now(), updated_at = now()
    from current_state cs
    where s.id = cs.id and cs.token_ok and cs.status = 'running' and not cs.cancel_requested
    returning s.id, s.task_id, s.leased_by, s.attempt, s.output
  ), canceled as (
    update agent_runtime.steps s
    set status = 'canceled', lease_expires_at = null, completed_at = now(), updated_at = now()
    from current_state cs
    where s.id = cs.id and cs.token_ok and cs.status = 'running' and cs.cancel_requested
    returning s.id, s.task_id, s.leased_by
  ), finished_tasks as (
    update agent_runtime.tasks t
    set status = 'completed', output = d.output, completed_at = now(), updated_at = now()
    from completed d
    where t.id = d.task_id
      and t.status in ('submitted', 'working')
      and not exists (
        select 1 from agent_runtime.steps o
        where o.task_id = t.id
          and o.status not in ('completed', 'skipped')
          and o.id not in (select d2.id from completed d2))
    returning t.id, d.leased_by
  ), logged as (
    insert into agent_runtime.events (type, task_id, step_id, worker_id, data)
    select 'step.completed', d.task_id, d.id, d.leased_by, jsonb_build_object('attempt', d.attempt)
    from completed d
    union all
    select 'step.canceled', x.task_id, x.id, x.leased_by, jsonb_build_object('reason', 'task canceled')
    from canceled x
    union all
    select 'task.completed', f.id, null, f.leased_by, '{}'::jsonb
    from finished_tasks f
  )
  select array_agg(o.step_id order by o.step_id), array_agg(o.outcome order by o.step_id)
    into v_ids, v_outcomes
  from (
  select r.step_id,
         case
           when cs.id is null then 'not_found'
           when not cs.token_ok then 'stale_lease'
           when cs.status = 'canceled' or (cs.status = 'running' and cs.cancel_requested) then 'canceled'
           when cs.status = 'running' then 'completed'
           when cs.status = 'completed' then 'duplicate'
           else 'already_failed'
         end
         as outcome
  from requested r
  left join current_state cs on cs.id = r.step_id) as o;

  -- MUTATE: the effects of completed steps, in the task's session (locked after the steps and
  -- tasks, as everywhere).
  for v_effect in
    select distinct on (r.step_id) r.step_id, r.effect, s.task_id, s.agent
    from unnest(complete_steps.step_ids, complete_steps.effects) with ordinality as r(step_id, effect, ord)
    join unnest(v_ids, v_outcomes) as o(step_id, outcome) on o.step_id = r.step_id and o.outcome = 'completed'
    join agent_runtime.steps s on s.id = r.step_id
    where complete_steps.effects is not null
    order by r.step_id, r.ord
  loop
    continue when v_effect.effect is null or v_effect.effect = 'null'::jsonb;
    select ss.* into v_session
    from agent_runtime.tasks t
    join agent_runtime.sessions ss on ss.id = t.session_id
    where t.id = v_effect.task_id
    for update of ss;
    v_delta := nullif(v_effect.effect -> 'state_delta', 'null'::jsonb);
    select coalesce(jsonb_agg(agent_runtime._message_event(m.message, 'message', v_effect.agent, 'agent') order by m.ord),
                    '[]'::jsonb)
      into v_events
    from jsonb_array_elements(coalesce(nullif(v_effect.effect -> 'messages', 'null'::jsonb), '[]'::jsonb))
         with ordinality as m(message, ord);
    if v_delta is not null then
      perform agent_runtime._apply_state_delta(v_session.app_name, v_session.user_id, v_session.id, v_delta);
      -- "temp:" keys are never stored, not even in the event.
      v_delta := coalesce((select jsonb_object_agg(d.key, d.value) from jsonb_each(v_delta) as d
                           where d.key not like 'temp:%'), '{}'::jsonb);
      if jsonb_array_length(v_events) = 0 then
        v_events := jsonb_build_array(jsonb_build_object('author', v_effect.agent));
      end if;
      v_events := jsonb_set(v_events, array[(jsonb_array_length(v_events) - 1)::text, 'actions'],
                            jsonb_build_object('state_delta', v_delta));
    end if;
    if jsonb_array_length(v_events) > 0 then
      perform agent_runtime._append_task_events(v_session.id, v_effect.task_id, v_events);
    end if;
  end loop;

  return query
  select o.step_id, o.outcome
  from unnest(v_ids, v_outcomes) as o(step_id, outcome)
  order by o.step_id;
end
$$;
