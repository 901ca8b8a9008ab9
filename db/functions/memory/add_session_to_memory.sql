-- Turns a session into memories (ADK's add_session_to_memory): submits a task to the built-in
-- memorize agent, which a host registers, in that session. Its input names the session's
-- events as they are now ({"session_id", "through_sequence"}: the newest event that is not
-- memorize's own, i.e. not the input of a memorize task nor written by the agent); the agent
-- embeds their text and adds it to the user's memory. Asking again before the session has new
-- events of its own returns the same task (created = false): the idempotency key is the session
-- and that sequence. But when that task has finished short of its events (the session key
-- memorized_through_sequence, where the agent records its progress, is behind: one completion
-- adds at most 1000 memories, or the task failed), asking again submits a task for the rest, keyed
-- by that progress too.
create or replace function agent_runtime.add_session_to_memory(app_name text, user_id text, session_id text)
returns agent_runtime.submitted_task
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_session agent_runtime.sessions;
  v_through bigint;
  v_done numeric;
  v_key text;
begin
  -- GUARD
  perform agent_runtime._check_identifier(add_session_to_memory.app_name, 'app_name');
  perform agent_runtime._check_identifier(add_session_to_memory.user_id, 'user_id');
  perform agent_runtime._check_identifier(add_session_to_memory.session_id, 'session_id');
  select * into v_session
  from agent_runtime.sessions s
  where s.id = add_session_to_memory.session_id and s.app_name = add_session_to_memory.app_name
    and s.user_id = add_session_to_memory.user_id;
  if not found or not agent_runtime._session_visible(v_session.app_name, v_session.id) then
    perform agent_runtime._raise_session_not_found(add_session_to_memory.app_name, add_session_to_memory.user_id,
                                                  add_session_to_memory.session_id);
  end if;
  if not exists (select from agent_runtime.agents g where g.name = 'memorize') then
    raise exception using errcode = 'AR010',
      message = 'agent ''memorize'' is not registered',
      hint = 'Start a host (agent-runtime run): it registers its built-in memorize agent.';
  end if;

  select coalesce(max(e.sequence), 0) into v_through
  from agent_runtime.session_events e
  left join agent_runtime.tasks t on t.id = e.task_id
  where e.session_id = v_session.id
    and e.author is distinct from 'memorize'
    and (t.id is null or t.target <> 'memorize');

  v_done := case when jsonb_typeof(v_session.state -> 'memorized_through_sequence') = 'number'
                 then (v_session.state ->> 'memorized_through_sequence')::numeric else 0 end;
  v_key := format('memorize:%s:%s', md5(v_session.id), v_through);
  if v_done < v_through
     and exists (select from agent_runtime.tasks t
                 where t.idempotency_key = v_key and t.status = any (agent_runtime._finished_statuses())) then
    v_key := format('memorize:%s:%s:%s', md5(v_session.id), v_through, v_done);
  end if;

  -- MUTATE
  return agent_runtime.submit_task(
    'memorize',
    jsonb_build_object('session_id', v_session.id, 'through_sequence', v_through),
    v_session.id,
    jsonb_build_object('idempotency_key', v_key));
end
$$;
