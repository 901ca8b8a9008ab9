-- Durable timers: waiting steps whose resume_at has come become ready (keeping their due
-- time as run_at, so the oldest timers run first). Called by claim_step for the agents it
-- claims, like expire_leases.
create or replace function agent_runtime._wake_due_steps(agents text[], max_steps integer)
returns integer
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_count integer;
begin
  with due as (
    select s.id
    from agent_runtime.steps s
    where s.status = 'waiting'
      and s.resume_at <= now()
      and (_wake_due_steps.agents is null or s.agent = any (_wake_due_steps.agents))
    order by s.resume_at
    limit _wake_due_steps.max_steps
    for update skip locked
  ), woken as (
    update agent_runtime.steps s
    set status = 'ready', run_at = s.resume_at, resume_at = null, updated_at = now()
    from due d
    where s.id = d.id
    returning s.id, s.task_id, s.wait_reason
  ), logged as (
    insert into agent_runtime.events (type, task_id, step_id, data)
    select 'step.ready', w.task_id, w.id, jsonb_build_object('reason', 'resume_at', 'waited_for', w.wait_reason)
    from woken w
  )
  select count(*)::integer into v_count from woken;
  return v_count;
end
$$;
