-- Durable timers and deadlines: waiting steps whose resume_at has come. A timer, or a wait for
-- input or authorization with a deadline, makes the step ready (keeping its due time as run_at,
-- so the oldest timers run first); an agent's wait for an event is ready with resume_data
-- {"timed_out": true}; a pure wait for an event (no agent) fails, and its task. Called by
-- claim_step (for the agents it claims, and pure waits) when a probe finds any.
create or replace function agent_runtime._wake_due_steps(agents text[], max_steps integer)
returns integer
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_count integer;
  v_timed_out bigint[];
  v_step bigint;
begin
  with due as (
    select s.id
    from agent_runtime.steps s
    where s.status = 'waiting'
      and s.resume_at <= now()
      and (_wake_due_steps.agents is null or s.agent = any (_wake_due_steps.agents) or s.agent is null)
    order by s.resume_at
    limit _wake_due_steps.max_steps
    for update skip locked
  ), woken as (
    update agent_runtime.steps s
    set status = case when s.agent is null then 'waiting' else 'ready' end,
        run_at = s.resume_at,
        resume_data = case when s.wait_reason = 'event' then jsonb_build_object('timed_out', true) else s.resume_data end,
        wait_event = case when s.agent is null then s.wait_event end,
        resume_at = case when s.agent is null then s.resume_at end,
        updated_at = now()
    from due d
    where s.id = d.id
    returning s.id, s.task_id, s.agent, s.key, s.wait_reason, s.wait_event
  ), logged as (
    insert into agent_runtime.events (type, task_id, step_id, data)
    select 'step.ready', w.task_id, w.id,
           jsonb_build_object('agent', w.agent, 'key', w.key, 'reason', 'resume_at', 'waited_for', w.wait_reason)
    from woken w
    where w.agent is not null
    order by w.id
  )
  select count(*)::integer, array_agg(w.id order by w.id) filter (where w.agent is null)
    into v_count, v_timed_out
  from woken w;

  foreach v_step in array coalesce(v_timed_out, '{}') loop
    perform agent_runtime._fail_step(v_step, jsonb_build_object('code', 'event_timeout',
      'message', format('no event %s came before the deadline',
                        quote_literal((select s.wait_event from agent_runtime.steps s where s.id = v_step)))));
  end loop;
  return v_count;
end
$$;
