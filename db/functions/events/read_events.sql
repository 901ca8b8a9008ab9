-- The event log for clients and workers, who may not read agent_runtime.events, oldest
-- first, optionally of one task. Each row carries its position: pass the last one as
-- after_position for the events after it (a reader learns of new ones from NOTIFY
-- agent_runtime_events). from_start => true reads from the beginning; with neither, the tail
-- (the newest max_events events, still oldest first). current_event_position() is where to
-- start to follow the log from now on, even when it is empty.
-- Why positions and not ids: ids are taken at insert, not at commit, so with concurrent
-- writers a later id can commit first and a reader that moved past it would never see the
-- earlier one. Events are ordered by (writing transaction, id) instead, and only those of
-- transactions older than every transaction still in progress are returned: all of those
-- have ended, and any event not returned yet sorts after them. The cost: a long-running
-- transaction holds back every reader until it ends.
-- A role bound to tenants reads the events of its apps' tasks and sessions only (agent, worker,
-- lock and setting events belong to no tenant, and neither do events of deleted tasks).
-- Returns event_info: an OUT column may not share the task_id argument's name.
create or replace function agent_runtime.read_events(
  after_position text default null,
  max_events integer default 100,
  task_id uuid default null,
  from_start boolean default false)
returns setof agent_runtime.event_info
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_horizon xid8 := pg_snapshot_xmin(pg_current_snapshot());
  v_after_xact_id xid8;
  v_after_id bigint;
  v_apps text[] := agent_runtime._caller_apps();
begin
  -- GUARD
  if read_events.max_events is null or read_events.max_events not between 1 and 1000 then
    raise exception using errcode = 'AR001',
      message = format('max_events must be from 1 to 1000, got %s', coalesce(read_events.max_events::text, 'NULL')),
      hint = 'Read further events with after_position set to the position of the last event returned.';
  end if;
  if read_events.from_start is null then
    raise exception using errcode = 'AR001',
      message = 'from_start must be true or false, got NULL',
      hint = 'Pass from_start => true to read from the beginning, or leave it out.';
  end if;
  if read_events.from_start and read_events.after_position is not null then
    raise exception using errcode = 'AR001',
      message = 'pass after_position or from_start => true, not both',
      hint = 'after_position continues after an event you read; from_start reads from the beginning.';
  end if;
  if read_events.after_position is not null then
    select p.xact_id, p.id into v_after_xact_id, v_after_id
    from agent_runtime._decode_event_position(read_events.after_position) as p;
  end if;

  if read_events.after_position is null and not read_events.from_start then
    return query
    select tail.id, tail.type, tail.task_id, tail.step_id, tail.worker_id, tail.data, tail.created_at,
           agent_runtime._encode_event_position(tail.xact_id, tail.id)
    from (select e.*
          from agent_runtime.events e
          where e.xact_id < v_horizon
            and (read_events.task_id is null or e.task_id = read_events.task_id)
            and (v_apps is null or agent_runtime._event_visible(v_apps, e.task_id, e.data))
          order by e.xact_id desc, e.id desc
          limit read_events.max_events) as tail
    order by tail.xact_id, tail.id;
  else
    return query
    select e.id, e.type, e.task_id, e.step_id, e.worker_id, e.data, e.created_at,
           agent_runtime._encode_event_position(e.xact_id, e.id)
    from agent_runtime.events e
    where e.xact_id < v_horizon
      and (v_after_xact_id is null or (e.xact_id, e.id) > (v_after_xact_id, v_after_id))
      and (read_events.task_id is null or e.task_id = read_events.task_id)
      and (v_apps is null or agent_runtime._event_visible(v_apps, e.task_id, e.data))
    order by e.xact_id, e.id
    limit read_events.max_events;
  end if;
end
$$;
