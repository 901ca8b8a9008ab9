-- Sends a message to a task (A2A message/send on an existing task): appends it to the task's
-- session as the user's event, linked to the task. A step waiting for input or authorization
-- (input-required, auth-required) becomes claimable at once, and its next run receives the
-- messages sent since it yielded (claim_step's resumed_from.messages). A message to a finished
-- task is refused (AR032). A message may name its context ("contextId", as A2A messages do): it
-- must be the task's own, its session (AR001 otherwise: a task lives in one conversation).
-- Returns the appended event, like append_event.
create or replace function agent_runtime.send_message(
  task_id uuid,
  message jsonb)
returns agent_runtime.appended_event
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_event jsonb;
  v_task agent_runtime.tasks;
  v_session agent_runtime.sessions;
  v_result agent_runtime.appended_event;
begin
  -- GUARD
  perform agent_runtime._check_json(send_message.message, 'message');
  if send_message.task_id is null then
    raise exception using errcode = 'AR001',
      message = 'task_id is required',
      hint = 'Pass the task_id returned by submit_task.';
  end if;
  v_event := agent_runtime._message_event(send_message.message, 'message', 'user', 'user');
  if jsonb_typeof(send_message.message -> 'contextId') not in ('string', 'null') then
    raise exception using errcode = 'AR001',
      message = format('message "contextId" must be a string, got %s', jsonb_typeof(send_message.message -> 'contextId')),
      hint = 'Name the task''s context (its session_id), or leave contextId out.';
  end if;

  -- LOCK: steps, then the task, then its session (the order of complete_steps). Another
  -- tenant's task is not found, and nothing of it is locked.
  if not exists (select from agent_runtime.tasks t where t.id = send_message.task_id
                 and agent_runtime._app_visible(agent_runtime._caller_apps(), t.app_name)) then
    perform agent_runtime._raise_task_not_found(send_message.task_id);
  end if;
  perform 1 from agent_runtime.steps s where s.task_id = send_message.task_id order by s.id for update;
  select * into v_task from agent_runtime.tasks t where t.id = send_message.task_id for update;
  if not found then
    perform agent_runtime._raise_task_not_found(send_message.task_id);
  end if;
  if v_task.status = any (agent_runtime._finished_statuses()) then
    raise exception using errcode = 'AR032',
      message = format('task %s is already %s and takes no more messages', send_message.task_id, v_task.status),
      hint = 'Submit a new task in the same session (submit_task with its session_id) to continue the conversation.';
  end if;
  if send_message.message ->> 'contextId' <> v_task.session_id then
    raise exception using errcode = 'AR001',
      message = format('message contextId %s is not the context of task %s', agent_runtime._quote(send_message.message ->> 'contextId'),
                       send_message.task_id),
      hint = format('Leave contextId out or send the task''s own, %s (its session_id). To talk in another context, submit a task there.',
                    agent_runtime._quote(v_task.session_id));
  end if;
  select * into v_session from agent_runtime.sessions s where s.id = v_task.session_id for update;

  -- MUTATE
  v_result.sequence := agent_runtime._append_task_events(v_session.id, v_task.id, jsonb_build_array(v_event));
  select e.id, e.created_at into v_result.event_id, v_result.created_at
  from agent_runtime.session_events e
  where e.session_id = v_session.id and e.sequence = v_result.sequence;

  with woken as (
    update agent_runtime.steps s
    set status = 'ready', run_at = now(), resume_at = null, updated_at = now()
    where s.task_id = v_task.id and s.status = 'waiting' and s.wait_reason in ('input-required', 'auth-required')
    returning s.id, s.agent, s.key, s.wait_reason
  )
  insert into agent_runtime.events (type, task_id, step_id, data)
  select 'step.ready', v_task.id, w.id,
         jsonb_build_object('agent', w.agent, 'key', w.key, 'reason', 'message', 'waited_for', w.wait_reason)
  from woken w
  order by w.id;

  v_result.session_id := v_session.id;
  v_result.state := agent_runtime._session_state(v_session.app_name, v_session.user_id,
                                                (select s.state from agent_runtime.sessions s where s.id = v_session.id));
  return v_result;
end
$$;
