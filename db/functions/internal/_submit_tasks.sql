-- Creates tasks, set-based: the one implementation behind submit_task, submit_tasks and the
-- children a step spawns. Element i of each array is task i; a one-element targets or options
-- array applies to every task; NULL session_ids or options mean none and the defaults. Returns
-- one row per element, in element order.
--
-- Each task lives in a session: the given one (whose app and user it takes), or a new one with
-- the given id, or a new one (app: the option, else the caller's only tenant, else the target;
-- user: the option, else 'anonymous'). Its input becomes the user's first message in that
-- session. An agent task gets one ready step; a workflow task the steps of its newest version
-- (_start_workflows). With an idempotency key, a task of the same app and key already there is
-- returned (created = false) and nothing is written for it; the same key twice in one call is
-- one task.
--
-- GUARD everything (the first bad element is named), then LOCK the given sessions, then MUTATE:
-- sessions, tasks, the input messages, steps, events. The events trigger sends the wake-up
-- NOTIFY of every ready step.
create or replace function agent_runtime._submit_tasks(
  targets text[],
  inputs jsonb[],
  session_ids text[],
  options jsonb[],
  parent_step_id bigint default null)
returns setof agent_runtime.submitted_task
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_n integer := cardinality(inputs);
  v_apps text[] := agent_runtime._caller_apps();
  v_parent agent_runtime.tasks;
  v_bad record;
  v_opts agent_runtime._task_options[];
  v_target text[];
  v_version integer[];
  v_app text[];
  v_user text[];
  v_session text[];
  v_existing boolean[];
  v_made_sessions text[];
  v_task uuid[];
  v_new uuid[];
  v_inserted uuid[];
  v_created boolean[];
  v_workflows uuid[];
  v_workflow_opts agent_runtime._task_options[];
begin
  -- GUARD: shapes
  if targets is null or inputs is null or cardinality(targets) = 0 then
    raise exception using errcode = 'AR001',
      message = 'targets and inputs are required',
      hint = 'Pass one target (or one for all) and one input per task, e.g. submit_tasks(array[''summarize''], array[''{"text":"..."}''::jsonb]).';
  end if;
  if v_n = 0 or v_n > 10000 then
    raise exception using errcode = case when v_n = 0 then 'AR001' else 'AR002' end,
      message = format('a call submits 1 to 10000 tasks, got %s', v_n),
      hint = 'Split larger submissions into several calls.';
  end if;
  if cardinality(targets) not in (1, v_n) or cardinality(session_ids) <> v_n
     or cardinality(options) not in (1, v_n) then
    raise exception using errcode = 'AR001',
      message = format('targets, session_ids and options must have one element per input (%s) or, for targets and options, one for all',
                       v_n),
      hint = 'Element i of each array belongs to task i.';
  end if;

  -- GUARD: options, once when they are shared
  if options is null or cardinality(options) = 1 then
    v_opts := array_fill(agent_runtime._task_options(options[1]), array[v_n]);
  else
    select array_agg(agent_runtime._task_options(o.value) order by o.ord) into v_opts
    from unnest(options) with ordinality as o(value, ord);
  end if;

  -- GUARD: targets (agents or workflows) and inputs
  v_target := case when cardinality(targets) = 1 then array_fill(targets[1], array[v_n]) else targets end;
  select e.ord, e.target into v_bad
  from unnest(v_target) with ordinality as e(target, ord)
  where e.target is null or e.target = ''
     or not exists (select from agent_runtime.agents g where g.name = e.target)
        and not exists (select from agent_runtime.workflows w where w.name = e.target)
  order by e.ord limit 1;
  if found then
    if v_bad.target is null or v_bad.target = '' then
      raise exception using errcode = 'AR001',
        message = case when v_n = 1 then 'target is required' else format('the target of task %s is required', v_bad.ord) end,
        hint = 'Name a registered agent or workflow, e.g. submit_task(''summarize'', ''{"text":"..."}'').';
    end if;
    raise exception using errcode = 'AR010',
      message = format('unknown target %s', left(quote_literal(v_bad.target), 120)),
      hint = 'Register the agent with register_agent (or define the workflow with define_workflow), or check the name.';
  end if;
  select array_agg((select max(w.version) from agent_runtime.workflows w where w.name = e.target) order by e.ord)
    into v_version
  from unnest(v_target) with ordinality as e(target, ord);

  select e.ord, e.input, e.target, coalesce(g.input_schema, w.definition -> 'input_schema', '{}'::jsonb) as input_schema
    into v_bad
  from unnest(inputs, v_target, v_version) with ordinality as e(input, target, version, ord)
  left join agent_runtime.agents g on g.name = e.target
  left join agent_runtime.workflows w on w.name = e.target and w.version = e.version
  where e.input is null
     or pg_column_size(e.input) > 1048576
     or (coalesce(g.input_schema, w.definition -> 'input_schema', '{}'::jsonb) <> '{}'::jsonb
         and not agent_runtime._input_matches(e.input, coalesce(g.input_schema, w.definition -> 'input_schema')))
  order by e.ord limit 1;
  if found then
    if v_bad.input is null then
      raise exception using errcode = 'AR001',
        message = case when v_n = 1 then 'input is required' else format('the input of task %s is required', v_bad.ord) end,
        hint = 'Pass a JSON value; use ''{}'' for no input.';
    end if;
    perform agent_runtime._check_size(v_bad.input, case when v_n = 1 then 'input' else format('the input of task %s', v_bad.ord) end, 1048576);
    perform agent_runtime._check_input_schema(v_bad.input, v_bad.input_schema, v_bad.target);
  end if;

  -- GUARD: sessions and apps. A child inherits its parent's app and user.
  if parent_step_id is not null then
    select t.* into v_parent from agent_runtime.tasks t join agent_runtime.steps s on s.task_id = t.id
    where s.id = _submit_tasks.parent_step_id;
  end if;
  select e.ord, e.session_id into v_bad
  from unnest(session_ids) with ordinality as e(session_id, ord)
  where e.session_id is not null and (e.session_id = '' or length(e.session_id) > 256 or e.session_id ~ '[[:cntrl:]]')
  order by e.ord limit 1;
  if found then
    perform agent_runtime._check_identifier(v_bad.session_id, 'session_id');
  end if;
  select array_agg(coalesce(e.session_id, gen_random_uuid()::text) order by e.ord),
         array_agg(s.id is not null order by e.ord),
         array_agg(coalesce(s.app_name, o.app_name, v_parent.app_name,
                            case when cardinality(v_apps) = 1 then v_apps[1] end, e.target) order by e.ord),
         array_agg(coalesce(s.user_id, o.user_id, v_parent.user_id, 'anonymous') order by e.ord)
    into v_session, v_existing, v_app, v_user
  from unnest(coalesce(session_ids, array_fill(null::text, array[v_n])), v_target)
       with ordinality as e(session_id, target, ord)
  join unnest(v_opts) with ordinality as o on o.ordinality = e.ord
  left join agent_runtime.sessions s on s.id = e.session_id;
  perform agent_runtime._check_task_sessions(v_apps, v_session, v_existing, v_opts);
  perform agent_runtime._check_app_permitted(v_apps, d.app) from (select distinct a as app from unnest(v_app) as a) d;
  if parent_step_id is not null and exists (select from unnest(v_app) as a where a <> v_parent.app_name) then
    raise exception using errcode = 'AR070',
      message = format('child tasks stay in the app of their parent, %s', quote_literal(v_parent.app_name)),
      hint = 'Leave app_name out of the options of spawned tasks.';
  end if;

  -- Idempotent retries: a task of the same key already there (this app's first).
  select array_agg(x.task_id order by x.ord), array_agg(x.task_id is null order by x.ord)
    into v_task, v_created
  from (
    select e.ord,
           case when o.idempotency_key is not null then
             (select t.id from agent_runtime.tasks t
              where t.idempotency_key = o.idempotency_key and agent_runtime._app_visible(v_apps, t.app_name)
              order by t.app_name = e.app desc, t.created_at limit 1) end as task_id
    from unnest(v_app) with ordinality as e(app, ord)
    join unnest(v_opts) with ordinality as o on o.ordinality = e.ord
  ) x;

  -- MUTATE: sessions that do not exist yet (given ids and new ones), then LOCK the sessions
  -- the tasks go into, in id order (their rows order each session's event sequence). A given
  -- id that another call created meanwhile is that call's session: checked again once locked.
  with made as (
    insert into agent_runtime.sessions (id, app_name, user_id)
    select distinct on (e.session_id) e.session_id, e.app, e.usr
    from unnest(v_session, v_app, v_user, v_existing, v_created) with ordinality as e(session_id, app, usr, existing, created, ord)
    where e.created and not e.existing
    order by e.session_id, e.ord
    on conflict on constraint sessions_pkey do nothing
    returning id
  )
  select array_agg(m.id) into v_made_sessions from made m;
  perform from agent_runtime.sessions s
  where s.id in (select e.session_id from unnest(v_session, v_created) as e(session_id, created) where e.created)
  order by s.id
  for update;
  if session_ids is not null then
    select array_agg(coalesce(s.app_name, e.app) order by e.ord), array_agg(coalesce(s.user_id, e.usr) order by e.ord)
      into v_app, v_user
    from unnest(v_session, v_app, v_user) with ordinality as e(session_id, app, usr, ord)
    left join agent_runtime.sessions s on s.id = e.session_id;
    perform agent_runtime._check_task_sessions(v_apps, v_session, array_fill(true, array[v_n]), v_opts);
  end if;

  -- MUTATE: the tasks. The same key twice in this call is one task (the first); a key taken by
  -- a concurrent call between the look-up and here is that call's task.
  select array_agg(case when e.created then gen_random_uuid() end order by e.ord) into v_new
  from unnest(v_created) with ordinality as e(created, ord);
  with fresh as (
    select e.ord, e.id, e.target, e.version, e.input, e.session_id, e.app, e.usr,
           o.queue, o.priority, o.max_attempts, o.metadata, o.idempotency_key,
           row_number() over (partition by e.app, o.idempotency_key order by e.ord) as nth
    from unnest(v_new, v_target, v_version, inputs, v_session, v_app, v_user)
         with ordinality as e(id, target, version, input, session_id, app, usr, ord)
    join unnest(v_opts) with ordinality as o on o.ordinality = e.ord
    where e.id is not null
  ), inserted as (
    insert into agent_runtime.tasks as t
      (id, target, session_id, input, queue, priority, max_attempts, metadata, app_name, user_id, idempotency_key,
       workflow_version, parent_step_id, spawn_index)
    select f.id, f.target, f.session_id, f.input, f.queue, f.priority, f.max_attempts, f.metadata,
           f.app, f.usr, f.idempotency_key, f.version, _submit_tasks.parent_step_id,
           case when _submit_tasks.parent_step_id is not null then f.ord - 1 end
    from fresh f
    where f.idempotency_key is null or f.nth = 1
    order by f.ord
    on conflict (app_name, idempotency_key) where idempotency_key is not null do nothing
    returning t.id
  )
  select array_agg(i.id) into v_inserted from inserted i;
  select array_agg(case when e.id = any (v_inserted) then e.id
                        when e.id is not null then (select t.id from agent_runtime.tasks t
                                                    where t.app_name = e.app and t.idempotency_key = o.idempotency_key)
                        else e.task end order by e.ord),
         array_agg(coalesce(e.id = any (v_inserted), false) order by e.ord)
    into v_task, v_created
  from unnest(v_new, v_task, v_app) with ordinality as e(id, task, app, ord)
  join unnest(v_opts) with ordinality as o on o.ordinality = e.ord;
  -- sessions made here for tasks that were not created after all go again
  delete from agent_runtime.sessions s
  where s.id = any (v_made_sessions)
    and not exists (select from agent_runtime.tasks t where t.session_id = s.id);

  -- MUTATE: each input as the user's message in its session, numbered after the session's last
  with counted as (
    update agent_runtime.sessions s
    set last_sequence = s.last_sequence + c.n, updated_at = now()
    from (select e.session_id, count(*) as n
          from unnest(v_session, v_created) as e(session_id, created) where e.created group by e.session_id) c
    where s.id = c.session_id
    returning s.id, s.last_sequence - c.n as first_sequence
  ), numbered as (
    select e.task, e.session_id, e.input,
           c.first_sequence + row_number() over (partition by e.session_id order by e.ord) as sequence
    from unnest(v_task, v_session, inputs, v_created) with ordinality as e(task, session_id, input, created, ord)
    join counted c on c.id = e.session_id
    where e.created
  )
  insert into agent_runtime.session_events (session_id, sequence, author, task_id, content, event)
  select n.session_id, n.sequence, 'user', n.task, m.event -> 'content', m.event
  from numbered n
  cross join lateral (select jsonb_build_object('author', 'user', 'role', 'user',
                        'content', jsonb_build_object('role', 'user',
                          'parts', jsonb_build_array(jsonb_build_object('kind', 'data', 'data', n.input)))) as event) m;

  -- MUTATE: one ready step per agent task; then the events of the submission
  insert into agent_runtime.steps
    (task_id, key, agent, status, queue, priority, run_at, max_attempts, backoff_seconds, max_backoff_seconds, timeout_seconds)
  select e.task, e.target, e.target, 'ready', o.queue, o.priority, o.run_at, o.max_attempts,
         o.backoff_seconds, o.max_backoff_seconds, o.timeout_seconds
  from unnest(v_task, v_target, v_version, v_created) with ordinality as e(task, target, version, created, ord)
  join unnest(v_opts) with ordinality as o on o.ordinality = e.ord
  where e.created and e.version is null
  order by e.ord;

  insert into agent_runtime.events (type, task_id, step_id, data)
  select x.type, x.task_id, x.step_id, x.data
  from (
    select e.ord, 0 as n, 'task.submitted' as type, e.task as task_id, null::bigint as step_id,
           jsonb_build_object('target', e.target, 'queue', o.queue, 'priority', o.priority,
                              'run_at', o.run_at, 'session_id', e.session_id, 'new_session', e.session_id = any (v_made_sessions))
           || case when e.version is not null then jsonb_build_object('workflow_version', e.version) else '{}' end
           || case when _submit_tasks.parent_step_id is not null
                   then jsonb_build_object('parent_step_id', _submit_tasks.parent_step_id) else '{}' end as data
    from unnest(v_task, v_target, v_version, v_session, v_existing, v_created)
         with ordinality as e(task, target, version, session_id, existing, created, ord)
    join unnest(v_opts) with ordinality as o on o.ordinality = e.ord
    where e.created
    union all
    select e.ord, 1, 'step.ready', e.task, s.id,
           jsonb_build_object('agent', s.agent, 'key', s.key)
           || case when s.run_at > now() then jsonb_build_object('run_at', s.run_at) else '{}' end
    from unnest(v_task, v_version, v_created) with ordinality as e(task, version, created, ord)
    join agent_runtime.steps s on s.task_id = e.task
    where e.created and e.version is null
  ) x
  order by x.ord, x.n;

  select array_agg(e.task order by e.ord), array_agg(v_opts[e.ord] order by e.ord) into v_workflows, v_workflow_opts
  from unnest(v_task, v_version, v_created) with ordinality as e(task, version, created, ord)
  where e.created and e.version is not null;
  if v_workflows is not null then
    perform agent_runtime._start_workflows(v_workflows, v_workflow_opts);
  end if;

  return query
  select t.id, t.session_id, t.status, e.created
  from unnest(v_task, v_created) with ordinality as e(task, created, ord)
  join agent_runtime.tasks t on t.id = e.task
  order by e.ord;
end
$$;
