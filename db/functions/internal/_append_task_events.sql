-- Appends events (a JSON array of complete event objects, see message_event) to a task's
-- session, linked to the task, with the session's next sequence numbers, and announces each
-- like append_event does. The caller has validated the events and holds the session row's
-- lock. Returns the session's new last_sequence.
create or replace function agent_runtime._append_task_events(session_id text, task_id uuid, events jsonb)
returns bigint
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_first bigint;
  v_last bigint;
begin
  update agent_runtime.sessions s
  set last_sequence = s.last_sequence + jsonb_array_length(_append_task_events.events), updated_at = now()
  where s.id = _append_task_events.session_id
  returning s.last_sequence - jsonb_array_length(_append_task_events.events), s.last_sequence
  into v_first, v_last;

  with appended as (
    insert into agent_runtime.session_events as e
      (session_id, sequence, author, invocation_id, task_id, content, actions, event)
    select _append_task_events.session_id, v_first + x.ord, x.event ->> 'author', x.event ->> 'invocation_id',
           _append_task_events.task_id, nullif(x.event -> 'content', 'null'::jsonb),
           nullif(x.event -> 'actions', 'null'::jsonb), x.event
    from jsonb_array_elements(_append_task_events.events) with ordinality as x(event, ord)
    returning e.id, e.sequence, e.author
  )
  insert into agent_runtime.events (type, task_id, data)
  select 'session.event_appended', _append_task_events.task_id,
         jsonb_build_object('session_id', _append_task_events.session_id, 'sequence', a.sequence,
                            'event_id', a.id, 'author', a.author)
  from appended a
  order by a.sequence;
  return v_last;
end
$$;
