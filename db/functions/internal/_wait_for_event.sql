-- A step waits for a durable event of its task's app (or an unscoped one): when the event was
-- emitted already, a pure wait (no agent) completes with its payload at once and an agent's
-- step is ready again at once with resume_data {"event": payload}; otherwise the step waits
-- (wait_event) until emit_event wakes it or, with a deadline, until the deadline passes
-- (_wake_due_steps). The caller holds the step's row and moves its task on.
create or replace function agent_runtime._wait_for_event(step_id bigint, name text, app_name text, deadline timestamptz)
returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_step agent_runtime.steps;
  v_payload jsonb;
begin
  select * into v_step from agent_runtime.steps s where s.id = _wait_for_event.step_id;
  perform agent_runtime._lock_event_name(_wait_for_event.name, false);
  select e.payload into v_payload
  from agent_runtime.durable_events e
  where e.name = _wait_for_event.name and e.scope in (_wait_for_event.app_name, '')
  order by e.scope desc
  limit 1;

  if v_payload is not null and v_step.agent is null then
    perform agent_runtime._finish_step(v_step.id, 'completed', v_payload, jsonb_build_object('event', name));
  elsif v_payload is not null then
    update agent_runtime.steps s
    set status = 'ready', run_at = now(), resume_data = jsonb_build_object('event', v_payload),
        wait_event = null, resume_at = null, updated_at = now()
    where s.id = v_step.id;
    insert into agent_runtime.events (type, task_id, step_id, data)
    values ('step.ready', v_step.task_id, v_step.id,
            jsonb_build_object('agent', v_step.agent, 'key', v_step.key, 'reason', 'event', 'event', name));
  else
    update agent_runtime.steps s
    set status = 'waiting', wait_reason = 'event', wait_event = name, resume_at = deadline,
        yielded_at = coalesce(s.yielded_at, now()), updated_at = now()
    where s.id = v_step.id;
    insert into agent_runtime.events (type, task_id, step_id, data)
    values ('step.waiting', v_step.task_id, v_step.id,
            jsonb_build_object('reason', 'event', 'event', name, 'resume_at', deadline));
  end if;
end
$$;
