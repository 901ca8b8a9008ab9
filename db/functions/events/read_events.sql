-- The event log for clients and workers, who may not read agent_runtime.events: the events
-- after the last id a reader saw (it learns of new ones from NOTIFY agent_runtime_events),
-- optionally of one task, oldest first. after_id NULL reads the tail instead (the newest
-- max_events events, still oldest first), so that a reader can follow the log from now on.
-- Returns the table's row type: an OUT column may not share the task_id argument's name.
create or replace function agent_runtime.read_events(
  after_id bigint default 0,
  max_events integer default 100,
  task_id uuid default null)
returns setof agent_runtime.events
language plpgsql stable security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  -- GUARD
  if read_events.after_id < 0 then
    raise exception using errcode = 'AR001',
      message = format('after_id must be 0 or more, got %s', read_events.after_id),
      hint = 'Pass the id of the last event you read: 0 reads from the start, NULL the newest events.';
  end if;
  if read_events.max_events is null or read_events.max_events not between 1 and 1000 then
    raise exception using errcode = 'AR001',
      message = format('max_events must be from 1 to 1000, got %s', coalesce(read_events.max_events::text, 'NULL')),
      hint = 'Read further events with after_id set to the last id returned.';
  end if;

  if read_events.after_id is null then
    return query
    select tail.*
    from (select e.*
          from agent_runtime.events e
          where read_events.task_id is null or e.task_id = read_events.task_id
          order by e.id desc
          limit read_events.max_events) as tail
    order by tail.id;
  else
    return query
    select e.*
    from agent_runtime.events e
    where e.id > read_events.after_id
      and (read_events.task_id is null or e.task_id = read_events.task_id)
    order by e.id
    limit read_events.max_events;
  end if;
end
$$;
