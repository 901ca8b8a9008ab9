-- Records a durable event by name (idempotent: the first payload wins; a later emit returns the
-- stored payload and changes nothing). In the same transaction it wakes every step waiting for
-- it: a pure wait (a definition's "wait_for") completes with the payload and its task moves on;
-- an agent's step (yield_step 'event') is ready again, and its next claim carries the payload in
-- resumed_from.event. An event belongs to an app: app_name, else the caller's only tenant; a
-- caller bound to no tenant may leave it out for an unscoped event, which steps of every app
-- see. Returns the stored payload.
create or replace function agent_runtime.emit_event(
  name text,
  payload jsonb default '{}'::jsonb,
  app_name text default null)
returns jsonb
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_apps text[] := agent_runtime._caller_apps();
  v_scope text;
  v_stored jsonb;
  v_waits bigint[];
  v_deadlocks integer := 0;
begin
  -- GUARD
  perform agent_runtime._check_json(emit_event.payload, 'payload');
  perform agent_runtime._check_identifier(emit_event.name, 'name');
  if emit_event.payload is null then
    raise exception using errcode = 'AR001',
      message = 'payload is required',
      hint = 'Pass a JSON value; ''{}'' for none.';
  end if;
  perform agent_runtime._check_size(emit_event.payload, 'payload', 1048576);
  if emit_event.app_name is not null then
    perform agent_runtime._check_identifier(emit_event.app_name, 'app_name');
  end if;
  v_scope := coalesce(emit_event.app_name, case when cardinality(v_apps) = 1 then v_apps[1] end);
  if v_scope is null and cardinality(v_apps) > 1 then
    raise exception using errcode = 'AR001',
      message = 'app_name is required: this role is bound to several apps',
      hint = format('Pass one of %s.', array_to_string(v_apps, ', '));
  end if;
  if v_scope is not null or v_apps is not null then
    -- a bound caller never emits an unscoped event, which would wake the steps of every app
    perform agent_runtime._check_app_permitted(v_apps, coalesce(v_scope, ''));
  end if;
  v_scope := coalesce(v_scope, '');

  loop
    begin
      -- LOCK: the event's name (see _lock_event_name: a wait starting concurrently is not missed)
      perform agent_runtime._lock_event_name(emit_event.name, true);

      -- MUTATE: the event, unless it was emitted before (then its first payload is the answer)
      insert into agent_runtime.durable_events as e (scope, name, payload)
      values (v_scope, emit_event.name, emit_event.payload)
      on conflict on constraint durable_events_pkey do nothing
      returning e.payload into v_stored;
      if v_stored is null then
        select e.payload into v_stored from agent_runtime.durable_events e where e.scope = v_scope and e.name = emit_event.name;
        return v_stored;
      end if;

      -- LOCK the waiting steps, then MUTATE them: pure waits complete, agents' steps are ready again
      perform from agent_runtime.steps s
      join agent_runtime.tasks t on t.id = s.task_id
      where s.status = 'waiting' and s.wait_event = emit_event.name and (v_scope = '' or t.app_name = v_scope)
      order by s.id
      for update of s;
      with woken as (
        update agent_runtime.steps s
        set status = case when s.agent is null then 'completed' else 'ready' end,
            output = case when s.agent is null then v_stored else s.output end,
            resume_data = case when s.agent is null then s.resume_data else jsonb_build_object('event', v_stored) end,
            run_at = now(), wait_event = null, wait_reason = case when s.agent is null then null else s.wait_reason end,
            resume_at = null,
            completed_at = case when s.agent is null then now() end, updated_at = now()
        from agent_runtime.tasks t
        where t.id = s.task_id and s.status = 'waiting' and s.wait_event = emit_event.name
          and (v_scope = '' or t.app_name = v_scope)
        returning s.id, s.task_id, s.agent, s.key
      ), logged as (
        insert into agent_runtime.events (type, task_id, step_id, data)
        select x.type, x.task_id, x.step_id, x.data
        from (select 0 as n, null::uuid as task_id, null::bigint as step_id, 'event.emitted' as type,
                     jsonb_build_object('name', emit_event.name, 'woken', (select count(*) from woken))
                     || case when v_scope <> '' then jsonb_build_object('scope', v_scope) else '{}' end as data
              union all
              select 1, w.task_id, w.id, case when w.agent is null then 'step.completed' else 'step.ready' end,
                     case when w.agent is null then jsonb_build_object('event', emit_event.name)
                          else jsonb_build_object('agent', w.agent, 'key', w.key, 'reason', 'event', 'event', emit_event.name) end
              from woken w) x
        order by x.n, x.step_id
      )
      select array_agg(w.id) filter (where w.agent is null) into v_waits from woken w;

      -- MUTATE: the tasks of completed waits move on
      if v_waits is not null then
        perform agent_runtime._step_finished(v_waits);
      end if;
      return v_stored;
    exception when deadlock_detected then
      -- Moving a pure wait's task on locks the task after the event's name, while a transaction
      -- that holds that task may be starting another wait for this name: rare, and run again.
      v_deadlocks := v_deadlocks + 1;
      if not agent_runtime._retry_deadlock(v_deadlocks) then
        raise;
      end if;
    end;
  end loop;
end
$$;
