-- Settles many steps in one round trip (the host's hot path). Each element gets an outcome
-- instead of an error, so that one stale lease does not reject the whole batch:
--   completed     the output is stored; the task completes with its last step
--   canceled      the task was canceled; the output is dropped
--   duplicate     this lease already completed the step; nothing changes
--   already_failed  this lease already ended in a failure (reported, or its lease expired
--                 on the last attempt); nothing changes
--   stale_lease   the token is not the step's current lease (AR020 in complete_step)
--   not_found     no such step (AR012 in complete_step)
create or replace function agent_runtime.complete_steps(
  step_ids bigint[],
  lease_tokens uuid[],
  outputs jsonb[])
returns table (step_id bigint, outcome text)
language plpgsql volatile security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_too_large bigint;
begin
  -- GUARD
  perform agent_runtime.check_step_callbacks(complete_steps.step_ids, complete_steps.lease_tokens,
                                             cardinality(complete_steps.outputs), 'outputs');
  select r.step_id into v_too_large
  from unnest(complete_steps.step_ids, complete_steps.outputs) as r(step_id, output)
  where pg_column_size(r.output) > 4194304
  limit 1;
  if v_too_large is not null then
    perform agent_runtime.check_size(
      complete_steps.outputs[array_position(complete_steps.step_ids, v_too_large)],
      format('output of step %s', v_too_large), 4194304);
  end if;

  -- LOCK + MUTATE
  return query
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
  select r.step_id,
         case
           when cs.id is null then 'not_found'
           when not cs.token_ok then 'stale_lease'
           when cs.status = 'canceled' or (cs.status = 'running' and cs.cancel_requested) then 'canceled'
           when cs.status = 'running' then 'completed'
           when cs.status = 'completed' then 'duplicate'
           else 'already_failed'
         end
  from requested r
  left join current_state cs on cs.id = r.step_id
  order by r.step_id;
end
$$;
