-- Deletes a session with its events and its tasks (cascade), their child tasks, and the event
-- log rows of all those tasks (read_events no longer returns them). The app's and the user's
-- state stay: other sessions share them. Rows are locked in the order of every transition: the
-- tasks' steps, the tasks, then the session, so a step completing meanwhile waits instead of
-- deadlocking.
create or replace function agent_runtime.delete_session(
  app_name text,
  user_id text,
  session_id text)
returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_tasks uuid[];
begin
  -- GUARD
  perform agent_runtime._check_identifier(delete_session.app_name, 'app_name');
  perform agent_runtime._check_identifier(delete_session.user_id, 'user_id');
  perform agent_runtime._check_identifier(delete_session.session_id, 'session_id');
  if not exists (select from agent_runtime.sessions s
                 where s.id = delete_session.session_id
                   and s.app_name = delete_session.app_name
                   and s.user_id = delete_session.user_id
                   and agent_runtime._app_visible(agent_runtime._caller_apps(), s.app_name)) then
    perform agent_runtime._raise_session_not_found(delete_session.app_name, delete_session.user_id,
                                                  delete_session.session_id);
  end if;

  -- LOCK: the steps of its tasks and of their children, those tasks, then the session
  v_tasks := array(select x.id from agent_runtime.tasks t cross join lateral agent_runtime._task_tree(t.id) as x(id)
                   where t.session_id = delete_session.session_id);
  perform from agent_runtime.steps s where s.task_id = any (v_tasks) order by s.id for update;
  perform from agent_runtime.tasks t where t.id = any (v_tasks) order by t.id for update;
  perform from agent_runtime.sessions s where s.id = delete_session.session_id for update;

  -- MUTATE: the tasks' log rows and the children's messages (no foreign key leads to them), then
  -- the session, whose events and tasks (with their steps and children) cascade
  delete from agent_runtime.events e where e.task_id = any (v_tasks);
  delete from agent_runtime.session_events e where e.task_id = any (v_tasks);
  delete from agent_runtime.sessions s where s.id = delete_session.session_id;
  if not found then
    -- deleted meanwhile by a concurrent call
    perform agent_runtime._raise_session_not_found(delete_session.app_name, delete_session.user_id,
                                                  delete_session.session_id);
  end if;

  insert into agent_runtime.events (type, data)
  values ('session.deleted', jsonb_build_object('session_id', delete_session.session_id,
                                                'app_name', delete_session.app_name,
                                                'user_id', delete_session.user_id));
end
$$;
