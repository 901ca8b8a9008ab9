-- Pauses a running step without failing it: for input (input-required), for authorization
-- (auth-required), until resume_at (reason 'timer'), or for a durable event (reason 'event',
-- payload {"name": "...", "timeout_seconds": N}: an event emitted before makes the step ready
-- again at once; emit_event wakes it later; at the timeout it is ready with
-- resumed_from.timed_out = true). The task shows input-required or
-- auth-required with the payload as its status message. A timer, or resume_at given with
-- input-required/auth-required as a deadline, makes the step claimable again at that time;
-- its next run receives the payload (claim_step's resumed_from). A yield does not use up an
-- attempt, so the artifacts the run was streaming and did not end are closed
-- (_close_output_runs): the next run, of the same attempt, starts them over. Returns the
-- outcome: yielded, canceled (the task was canceled; the step stops), duplicate (this lease
-- already yielded), already_completed or already_failed; a stale lease or an unknown step is
-- an error.
create or replace function agent_runtime.yield_step(
  step_id bigint,
  lease_token uuid,
  reason text,
  payload jsonb default null,
  resume_at timestamptz default null)
returns text
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  v_step agent_runtime.steps;
  v_task_status text;
  v_deadline timestamptz;
begin
  -- GUARD
  perform agent_runtime._check_json(yield_step.payload, 'payload');
  if yield_step.reason is null or yield_step.reason not in ('input-required', 'auth-required', 'timer', 'event') then
    raise exception using errcode = 'AR001',
      message = format('reason must be input-required, auth-required, timer or event, got %s',
                       agent_runtime._quote(yield_step.reason)),
      hint = 'Yield for input, for authorization, until a time, or for an event.';
  end if;
  if yield_step.reason = 'timer' and yield_step.resume_at is null then
    raise exception using errcode = 'AR001',
      message = 'a timer needs resume_at',
      hint = 'Pass the time at which the step runs again.';
  end if;
  if not isfinite(yield_step.resume_at) then
    raise exception using errcode = 'AR001',
      message = format('resume_at must be a finite time, got %s', yield_step.resume_at),
      hint = 'Pass the time at which the step runs again; omit it to wait for input without a deadline.';
  end if;
  perform agent_runtime._check_size(yield_step.payload, 'payload', 65536);
  if yield_step.reason = 'event' then
    perform agent_runtime._check_object(yield_step.payload, 'payload');
    perform agent_runtime._check_keys(yield_step.payload, array['name', 'timeout_seconds'], 'keys of an event wait');
    if jsonb_typeof(yield_step.payload -> 'name') is distinct from 'string' then
      raise exception using errcode = 'AR001',
        message = 'an event wait needs "name", a string',
        hint = 'Pass {"name": "order-paid", "timeout_seconds": 3600}.';
    end if;
    perform agent_runtime._check_identifier(yield_step.payload ->> 'name', 'event name');
    v_deadline := coalesce(now() + make_interval(secs => agent_runtime._option_integer(yield_step.payload, 'timeout_seconds', 1, 604800)),
                           yield_step.resume_at);
  end if;

  -- LOCK
  v_step := agent_runtime._lock_leased_step(yield_step.step_id, yield_step.lease_token);
  if v_step.status <> 'running' then
    return case v_step.status
             when 'waiting' then 'duplicate'
             when 'canceled' then 'canceled'
             when 'completed' then 'already_completed'
             else 'already_failed'
           end;
  end if;

  -- MUTATE
  perform agent_runtime._close_output_runs(array[v_step.id]);
  update agent_runtime.steps s
  set status = 'waiting', attempt = s.attempt - 1, lease_expires_at = null,
      wait_reason = yield_step.reason, yield_payload = yield_step.payload, yielded_at = now(),
      resume_at = case when yield_step.reason = 'event' then null else yield_step.resume_at end,
      resume_data = null, updated_at = now()
  where s.id = v_step.id;

  if yield_step.reason = 'event' then
    -- waits (step.waiting), or is ready at once when the event came first (step.ready)
    perform agent_runtime._wait_for_event(v_step.id, yield_step.payload ->> 'name',
      (select t.app_name from agent_runtime.tasks t where t.id = v_step.task_id), v_deadline);
    return 'yielded';
  end if;
  insert into agent_runtime.events (type, task_id, step_id, worker_id, data)
  values ('step.waiting', v_step.task_id, v_step.id, v_step.leased_by,
          jsonb_build_object('reason', yield_step.reason, 'payload', yield_step.payload,
                             'resume_at', yield_step.resume_at));

  if yield_step.reason <> 'timer' then
    update agent_runtime.tasks t
    set status = yield_step.reason, status_message = yield_step.payload, updated_at = now()
    where t.id = v_step.task_id and t.status <> all (agent_runtime._finished_statuses())
    returning t.status into v_task_status;
    if v_task_status is not null then
      insert into agent_runtime.events (type, task_id, worker_id, data)
      values ('task.' || yield_step.reason, v_step.task_id, v_step.leased_by,
              jsonb_build_object('message', yield_step.payload));
    end if;
  end if;
  return 'yielded';
end
$$;
