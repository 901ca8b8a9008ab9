-- Retention (admin): deletes finished tasks that completed more than older_than ago, oldest
-- first, at most batch_size of them (not counting their children) per call, and returns how
-- many tasks it deleted, children included: call it again until it returns 0. Short calls keep
-- locks short; nothing it does makes a claim wait.
--
-- With a task go its steps, its events (read_events no longer returns them), its session events
-- (its messages), its checkpoints and streamed output, its push configs, deliveries and
-- feedback, and its child tasks
-- (tasks.parent_step_id), with all of theirs. Children are never purged on their own: a parent
-- reads its children when they finish, so a child goes with its root task. A task is purged
-- only when every task of its tree is finished and no step of it is still running (a canceled
-- task whose worker has not given up its run yet); such a tree waits for a later call.
--
-- A session is deleted with the last of its tasks when it is left empty: no task, no session
-- event (an event appended without a task, by append_event, keeps it), no session-scoped
-- state and no artifact (artifacts outlive the tasks that saved them; their versions only
-- forget the task). Sessions that no purged task lived in are never touched, so a session made with
-- create_session and never used stays whatever its content.
--
-- older_than: from 0 to 1000 years. statuses: the finished statuses to purge, NULL for all four.
create or replace function agent_runtime.purge_tasks(
  older_than interval,
  statuses text[] default null,
  batch_size integer default 1000)
returns integer
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_statuses text[] := coalesce(purge_tasks.statuses, agent_runtime._finished_statuses());
  v_cutoff timestamptz;
  v_tree uuid[];
  v_tree_root uuid[];
  v_step_task uuid[];
  v_locked uuid[];
  v_tasks uuid[];
  v_sessions text[];
  v_emptied integer;
begin
  -- GUARD
  perform agent_runtime._check_retention_age(purge_tasks.older_than, 'older_than');
  perform agent_runtime._check_array(v_statuses, 'statuses');
  if cardinality(v_statuses) = 0 or array_position(v_statuses, null) is not null
     or not v_statuses <@ agent_runtime._finished_statuses() then
    raise exception using errcode = 'AR001',
      message = format('statuses must list finished statuses, got %s', agent_runtime._quote(v_statuses::text)),
      hint = 'Pass some of completed, failed, canceled, rejected, or NULL for all of them.';
  end if;
  if purge_tasks.batch_size is null or purge_tasks.batch_size not between 1 and 10000 then
    raise exception using errcode = 'AR001',
      message = format('batch_size must be from 1 to 10000, got %s', coalesce(purge_tasks.batch_size::text, 'NULL')),
      hint = 'Purge in batches of about 1000 tasks and call again until it returns 0.';
  end if;
  v_cutoff := now() - purge_tasks.older_than;

  -- The oldest root tasks to purge, each with its descendants. tasks_created leads: a task
  -- completed before the cutoff was created before it, and no index on completed_at keeps the
  -- task's last update off the HOT path.
  select array_agg(x.id), array_agg(r.id) into v_tree, v_tree_root
  from (select t.id
        from agent_runtime.tasks t
        where t.created_at < v_cutoff
          and t.parent_step_id is null
          and t.status = any (v_statuses)
          and t.completed_at < v_cutoff
          and not exists (select from agent_runtime._task_tree(t.id) as x(id)
                          join agent_runtime.tasks c on c.id = x.id
                          where c.status <> all (agent_runtime._finished_statuses())
                             or exists (select from agent_runtime.steps s where s.task_id = x.id and s.status = 'running'))
        order by t.created_at, t.id
        limit purge_tasks.batch_size) r
  cross join lateral agent_runtime._task_tree(r.id) as x(id);
  if v_tree is null then
    return 0;
  end if;

  -- LOCK: the trees' steps, then their tasks, skipping what someone else holds (a late callback,
  -- a retry_task): that tree waits for a later call. A task is locked only while it still
  -- qualifies (a retry may have reopened it since it was chosen).
  select array_agg(l.task_id) into v_step_task
  from (select s.task_id
        from unnest(v_tree) as p(id) join agent_runtime.steps s on s.task_id = p.id
        order by s.id
        for update of s skip locked) l;
  select array_agg(l.id) into v_locked
  from (select t.id
        from unnest(v_tree) as p(id) join agent_runtime.tasks t on t.id = p.id
        where t.status = any (agent_runtime._finished_statuses())
          and (t.parent_step_id is not null or (t.status = any (v_statuses) and t.completed_at < v_cutoff))
        order by t.id
        for update of t skip locked) l;

  -- The trees whose every task and step is locked
  select array_agg(x.id) into v_tasks
  from unnest(v_tree, v_tree_root) as x(id, root)
  where x.root in (
    select tr.root
    from unnest(v_tree, v_tree_root) as tr(id, root)
    left join unnest(v_locked) as lt(id) on lt.id = tr.id
    left join (select st.task_id, count(*) as n from unnest(v_step_task) as st(task_id) group by st.task_id) ls
      on ls.task_id = tr.id
    cross join lateral (select count(*) as n from agent_runtime.steps s where s.task_id = tr.id) sn
    group by tr.root
    having bool_and(lt.id is not null and sn.n = coalesce(ls.n, 0)));
  if v_tasks is null then
    return 0;
  end if;

  -- MUTATE: the tasks' events and session events (no foreign key leads to them: they go by
  -- task_id), then the tasks, whose steps, checkpoints, output, children, push configs,
  -- deliveries and feedback cascade
  delete from agent_runtime.events e using unnest(v_tasks) as p(id) where e.task_id = p.id;
  delete from agent_runtime.session_events e using unnest(v_tasks) as p(id) where e.task_id = p.id;
  with gone as (
    delete from agent_runtime.tasks t using unnest(v_tasks) as p(id) where t.id = p.id returning t.session_id
  )
  select array_agg(distinct g.session_id) into v_sessions from gone g;

  -- LOCK: their sessions, after the tasks, waiting for a concurrent submit or append to commit,
  -- so that what it added is seen; MUTATE: those left empty
  perform from unnest(v_sessions) as p(id) join agent_runtime.sessions s on s.id = p.id order by s.id for update of s;
  with emptied as (
    delete from agent_runtime.sessions s
    using unnest(v_sessions) as p(id)
    where s.id = p.id
      and s.state = '{}'::jsonb
      and not exists (select from agent_runtime.tasks t where t.session_id = s.id)
      and not exists (select from agent_runtime.session_events e where e.session_id = s.id)
      and not exists (select from agent_runtime.artifacts a where a.session_id = s.id)
    returning s.id
  )
  select count(*)::integer into v_emptied from emptied;

  insert into agent_runtime.events (type, data)
  values ('tasks.purged', jsonb_build_object('tasks', cardinality(v_tasks), 'sessions', v_emptied,
                                             'older_than', purge_tasks.older_than::text,
                                             'statuses', to_jsonb(v_statuses)));
  return cardinality(v_tasks);
end
$$;
