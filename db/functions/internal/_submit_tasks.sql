-- Creates tasks, set-based: the one implementation behind submit_task, submit_tasks and the
-- children a step spawns. Element i of each array is task i; a one-element targets or options
-- array applies to every task; NULL session_ids or options mean none and the defaults. Returns
-- one row per element, in element order.
--
-- Each task lives in a session: the given one (whose app and user it takes), or a new one with
-- the given id, or a new one (app: the option, else the parent's for a child, else the caller's
-- only tenant, else the target; user: the option, else the parent's, else 'anonymous'). Its input
-- becomes the user's first message in that session. An agent task gets one ready step; a
-- workflow task the steps of its newest version (_start_workflows). With an idempotency key, a
-- task of the same key already there (this app's first) is returned (created = false) and
-- nothing is written for it; the same key twice in one call is one task.
--
-- Statements are few and set-based (each costs its executor start-up, which dominated a submit
-- of one task when there were 25): GUARD everything in one pass (the first bad element is
-- named), make and LOCK the sessions, then one statement writes the tasks, their input
-- messages, steps and events. The events trigger sends the wake-up NOTIFY of every ready step.
create or replace function agent_runtime._submit_tasks(
  targets text[],
  inputs jsonb[],
  session_ids text[],
  options jsonb[],
  parent_step_id bigint default null)
returns setof agent_runtime.submitted_task
language plpgsql volatile
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  v_n integer := cardinality(inputs);
  v_apps text[] := agent_runtime._caller_apps();
  v_parent agent_runtime.tasks;
  v_opts agent_runtime._task_options[];
  v_target text[];
  v_version integer[];
  v_session text[];
  v_existing boolean[];
  v_app text[];
  v_user text[];
  v_task uuid[];
  v_key text[];
  v_check record;
  v_deep integer;
  v_made text[];
  v_locked text[];
  v_new uuid[];
  v_created_count bigint;
  v_created boolean[];
  v_workflows uuid[];
  v_workflow_opts agent_runtime._task_options[];
begin
  -- GUARD: shapes
  perform agent_runtime._check_array(targets, 'targets');
  perform agent_runtime._check_array(inputs, 'inputs');
  perform agent_runtime._check_array(session_ids, 'session_ids');
  perform agent_runtime._check_array(options, 'options');
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
  v_deep := agent_runtime._first_too_deep(inputs);
  if v_deep is not null then
    perform agent_runtime._check_json(inputs[v_deep], case when v_n = 1 then 'input' else format('the input of task %s', v_deep) end);
  end if;
  v_deep := agent_runtime._first_too_deep(options);
  if v_deep is not null then
    perform agent_runtime._check_json(options[v_deep],
      case when cardinality(options) = 1 then 'options' else format('the options of task %s', v_deep) end);
  end if;
  v_target := case when cardinality(targets) = 1 then array_fill(targets[1], array[v_n]) else targets end;
  if options is null or cardinality(options) = 1 then
    v_opts := array_fill((agent_runtime._task_options(array[options[1]]))[1], array[v_n]);
  else
    v_opts := agent_runtime._task_options(options);
  end if;
  if parent_step_id is not null then
    select t.* into v_parent from agent_runtime.tasks t join agent_runtime.steps s on s.task_id = t.id
    where s.id = _submit_tasks.parent_step_id;
  end if;

  -- GUARD: each element at once (target, input, session, app), and the earliest problem of each kind
  select array_agg(x.version order by x.ord) as versions, array_agg(x.session_id order by x.ord) as sessions,
         array_agg(x.existing order by x.ord) as existing, array_agg(x.app order by x.ord) as apps,
         array_agg(x.usr order by x.ord) as users, array_agg(x.found order by x.ord) as found,
         array_agg(x.idempotency_key order by x.ord) as keys,
         min(x.ord) filter (where x.target is null or x.target = '') as no_target,
         min(x.ord) filter (where x.target <> '' and not x.is_agent and x.version is null) as unknown_target,
         min(x.ord) filter (where x.input is null) as no_input,
         min(x.ord) filter (where pg_column_size(x.input) > 1048576) as too_large,
         min(x.ord) filter (where x.input_schema <> '{}'::jsonb and not agent_runtime._input_matches(x.input, x.input_schema)) as bad_input,
         min(x.ord) filter (where x.given is not null and (x.given = '' or length(x.given) > 256 or x.given ~ '[[:cntrl:]]')) as bad_session,
         min(x.ord) filter (where x.existing and not (v_apps is null or x.app = any (v_apps))) as foreign_session,
         min(x.ord) filter (where x.existing and (x.opt_app <> x.app or x.opt_user <> x.usr)) as mismatch,
         min(x.ord) filter (where not (v_apps is null or x.app = any (v_apps))) as foreign_app,
         min(x.ord) filter (where v_parent.id is not null and x.app <> v_parent.app_name) as child_app
    into v_check
  from (
    select e.ordinality as ord, e.target, e.input, e.given, g.name is not null as is_agent, w.version,
           coalesce(g.input_schema, w.definition -> 'input_schema', '{}'::jsonb) as input_schema,
           coalesce(e.given, agent_runtime._uuid_v7()::text) as session_id, s.id is not null as existing,
           coalesce(s.app_name, e.app_name, v_parent.app_name,
                    case when cardinality(v_apps) = 1 then v_apps[1] end, e.target) as app,
           coalesce(s.user_id, e.user_id, v_parent.user_id, 'anonymous') as usr,
           e.app_name as opt_app, e.user_id as opt_user, e.idempotency_key,
           case when e.idempotency_key is not null then
             (select t.id from agent_runtime.tasks t
              where t.idempotency_key = e.idempotency_key and (v_apps is null or t.app_name = any (v_apps))
              order by t.app_name = coalesce(s.app_name, e.app_name, v_parent.app_name,
                                             case when cardinality(v_apps) = 1 then v_apps[1] end, e.target) desc,
                       t.created_at
              limit 1) end as found
    -- each task's options beside it, read by field name (ROWS FROM zips the arrays: no join)
    from rows from (unnest(v_target), unnest(inputs), unnest(coalesce(session_ids, array_fill(null::text, array[v_n]))),
                    unnest(v_opts)) with ordinality as e(target, input, given)
    left join agent_runtime.agents g on g.name = e.target
    left join lateral (select w.version, w.definition from agent_runtime.workflows w
                       where g.name is null and w.name = e.target order by w.version desc limit 1) w on true
    left join agent_runtime.sessions s on s.id = e.given
  ) x;
  v_version := v_check.versions;
  v_session := v_check.sessions;
  v_existing := v_check.existing;
  v_app := v_check.apps;
  v_user := v_check.users;
  v_task := v_check.found;
  v_key := v_check.keys;
  if v_check.no_target is not null then
    raise exception using errcode = 'AR001',
      message = case when v_n = 1 then 'target is required' else format('the target of task %s is required', v_check.no_target) end,
      hint = 'Name a registered agent or workflow, e.g. submit_task(''summarize'', ''{"text":"..."}'').';
  elsif v_check.unknown_target is not null then
    raise exception using errcode = 'AR010',
      message = format('unknown target %s', agent_runtime._quote(v_target[v_check.unknown_target])),
      hint = 'Register the agent with register_agent (or define the workflow with define_workflow), or check the name.';
  elsif v_check.no_input is not null then
    raise exception using errcode = 'AR001',
      message = case when v_n = 1 then 'input is required' else format('the input of task %s is required', v_check.no_input) end,
      hint = 'Pass a JSON value; use ''{}'' for no input.';
  elsif v_check.too_large is not null then
    perform agent_runtime._check_size(inputs[v_check.too_large],
      case when v_n = 1 then 'input' else format('the input of task %s', v_check.too_large) end, 1048576);
  elsif v_check.bad_input is not null then
    perform agent_runtime._check_input_schema(inputs[v_check.bad_input],
      coalesce((select g.input_schema from agent_runtime.agents g where g.name = v_target[v_check.bad_input]),
               (select w.definition -> 'input_schema' from agent_runtime.workflows w
                where w.name = v_target[v_check.bad_input] and w.version = v_version[v_check.bad_input])),
      v_target[v_check.bad_input]);
  elsif v_check.bad_session is not null then
    perform agent_runtime._check_identifier(session_ids[v_check.bad_session], 'session_id');
  elsif v_check.foreign_session is not null then
    raise exception using errcode = 'AR050',
      message = format('no session %s in the apps of this role', agent_runtime._quote(v_session[v_check.foreign_session])),
      hint = 'Submit into a session of your own app, or leave session_id out for a new session.';
  elsif v_check.mismatch is not null then
    raise exception using errcode = 'AR001',
      message = format('session %s belongs to app %s and user %s, not to the app_name and user_id in options',
                       agent_runtime._quote(v_session[v_check.mismatch]), agent_runtime._quote(v_app[v_check.mismatch]),
                       agent_runtime._quote(v_user[v_check.mismatch])),
      hint = 'Leave app_name and user_id out of options (the session''s own apply), or submit into another session.';
  elsif v_check.foreign_app is not null then
    perform agent_runtime._check_app_permitted(v_apps, v_app[v_check.foreign_app]);
  elsif v_check.child_app is not null then
    raise exception using errcode = 'AR070',
      message = format('child tasks stay in the app of their parent, %s', agent_runtime._quote(v_parent.app_name)),
      hint = 'Leave app_name out of the options of spawned tasks.';
  end if;
  -- v_task: the task an idempotency key found (that element creates nothing)

  -- MUTATE + LOCK: sessions that do not exist yet (with the number of tasks going into them),
  -- then the sessions the tasks go into, in id order (a session's row orders its event sequence)
  with made as (
    insert into agent_runtime.sessions (id, app_name, user_id, last_sequence)
    select e.session_id, min(e.app), min(e.usr), count(*)
    from unnest(v_session, v_app, v_user, v_existing, v_task) as e(session_id, app, usr, existing, found)
    where not e.existing and e.found is null
    group by e.session_id
    on conflict on constraint sessions_pkey do nothing
    returning id
  )
  select array_agg(m.id) into v_made from made m;
  select array_agg(l.id) into v_locked
  from (select s.id from agent_runtime.sessions s
        where s.id in (select e.session_id from unnest(v_session, v_task) as e(session_id, found) where e.found is null)
        order by s.id
        for update) l;
  if session_ids is not null
     and exists (select from unnest(v_session, v_existing, v_task) as e(session_id, existing, found)
                 where e.found is null
                   and ((not e.existing and not e.session_id = any (coalesce(v_made, '{}')))
                        or (e.existing and not e.session_id = any (coalesce(v_locked, '{}'))))) then
    -- a given session id that another call created meanwhile (that call's session, checked
    -- anew), or a session that a purge or delete_session removed meanwhile (made anew)
    return query select * from agent_runtime._submit_tasks(targets, inputs, session_ids, options, parent_step_id);
    return;
  end if;

  -- MUTATE: tasks (a key taken meanwhile by a concurrent call is that call's task), their input
  -- messages, one ready step per agent task, and the events
  v_new := array(select case when e.found is null then agent_runtime._uuid_v7() end from unnest(v_task) with ordinality as e(found, ord)
                 order by e.ord);
  with fresh as (
    select e.ordinality as ord, e.id, e.target, e.version, e.input, e.session_id, e.existing, e.app, e.usr,
           e.queue, e.priority, e.run_at, e.max_attempts, e.backoff_seconds, e.max_backoff_seconds,
           e.timeout, e.metadata, e.idempotency_key, e.concurrency_key, e.concurrency_limit, e.deadline, e.max_tokens,
           coalesce(e.fairness_key, e.app) as fair_key,
           row_number() over (partition by e.app, e.idempotency_key order by e.ordinality) as nth
    from rows from (unnest(v_new), unnest(v_target), unnest(v_version), unnest(inputs), unnest(v_session),
                    unnest(v_existing), unnest(v_app), unnest(v_user), unnest(v_opts))
         with ordinality as e(id, target, version, input, session_id, existing, app, usr)
    where e.id is not null
  ), inserted as (
    insert into agent_runtime.tasks as t
      (id, target, session_id, input, queue, priority, max_attempts, metadata, app_name, user_id, idempotency_key,
       workflow_version, parent_step_id, spawn_index, deadline, max_tokens)
    select f.id, f.target, f.session_id, f.input, f.queue, f.priority, f.max_attempts, f.metadata,
           f.app, f.usr, f.idempotency_key, f.version, _submit_tasks.parent_step_id,
           case when _submit_tasks.parent_step_id is not null then f.ord - 1 end, f.deadline, f.max_tokens
    from fresh f
    where f.idempotency_key is null or f.nth = 1
    order by f.ord
    on conflict (app_name, idempotency_key) where idempotency_key is not null do nothing
    returning t.id
  ), created as (
    select f.*, row_number() over (partition by f.session_id order by f.ord) as nth_in_session
    from fresh f join inserted i on i.id = f.id
  ), counted as (
    update agent_runtime.sessions s
    set last_sequence = s.last_sequence + c.n, updated_at = now()
    from (select c.session_id, count(*) as n from created c where c.existing group by c.session_id) c
    where s.id = c.session_id
    returning s.id, s.last_sequence - c.n as first_sequence
  ), messages as (
    insert into agent_runtime.session_events (session_id, sequence, author, task_id, content, event)
    select c.session_id, coalesce(n.first_sequence, 0) + c.nth_in_session, 'user', c.id, m.event -> 'content', m.event
    from created c
    left join counted n on n.id = c.session_id
    cross join lateral (select jsonb_build_object('author', 'user', 'role', 'user', 'content',
                          jsonb_build_object('role', 'user',
                            'parts', jsonb_build_array(jsonb_build_object('kind', 'data', 'data', c.input)))) as event) m
  ), steps as (
    insert into agent_runtime.steps
      (task_id, key, agent, status, queue, priority, run_at, max_attempts, backoff_seconds, max_backoff_seconds, timeout_seconds,
       fair_key, concurrency_key, concurrency_limit)
    select c.id, c.target, c.target, 'ready', c.queue, c.priority, c.run_at, c.max_attempts,
           c.backoff_seconds, c.max_backoff_seconds, c.timeout, c.fair_key, c.concurrency_key, c.concurrency_limit
    from created c
    where c.version is null
    order by c.ord
    returning id, task_id, agent, key, run_at
  ), logged as (
    insert into agent_runtime.events (type, task_id, step_id, data)
    select x.type, x.task_id, x.step_id, x.data
    from (
      select c.ord, 0 as n, 'task.submitted' as type, c.id as task_id, null::bigint as step_id,
             jsonb_build_object('target', c.target, 'queue', c.queue, 'priority', c.priority,
                                'run_at', c.run_at, 'session_id', c.session_id, 'new_session', not c.existing)
             || case when c.version is not null then jsonb_build_object('workflow_version', c.version) else '{}' end
             || case when _submit_tasks.parent_step_id is not null
                     then jsonb_build_object('parent_step_id', _submit_tasks.parent_step_id) else '{}' end as data
      from created c
      union all
      select null, 1, 'step.ready', s.task_id, s.id,
             jsonb_build_object('agent', s.agent, 'key', s.key)
             || case when s.run_at > now() then jsonb_build_object('run_at', s.run_at) else '{}' end
      from steps s
    ) x
    order by x.n, x.ord, x.step_id
  )
  select count(*), array_agg(c.id order by c.ord) filter (where c.version is not null)
    into v_created_count, v_workflows
  from created c;

  -- Each element's task: the one created for it, or the one its key found (before, in this call
  -- or meanwhile)
  if v_created_count = (select count(*) from unnest(v_new) as n where n is not null) then
    select array_agg(coalesce(e.found, e.id) order by e.ord), array_agg(e.id is not null order by e.ord)
      into v_task, v_created
    from unnest(v_task, v_new) with ordinality as e(found, id, ord);
  else
    select array_agg(coalesce(e.found, t.id) order by e.ord), array_agg(coalesce(t.id = e.id, false) order by e.ord)
      into v_task, v_created
    from unnest(v_task, v_new, v_app, v_key) with ordinality as e(found, id, app, idempotency_key, ord)
    left join lateral (
      select x.id from (select t.id, 0 as n from agent_runtime.tasks t where t.id = e.id
                        union all
                        select t.id, 1 from agent_runtime.tasks t where t.app_name = e.app and t.idempotency_key = e.idempotency_key) x
      order by x.n limit 1) t on e.found is null;
  end if;

  if v_workflows is not null then
    select array_agg(v_opts[e.ord] order by e.ord) into v_workflow_opts
    from unnest(v_task, v_created) with ordinality as e(task, created, ord)
    where e.created and e.task = any (v_workflows);
    perform agent_runtime._start_workflows(v_workflows, v_workflow_opts);
  end if;
  if v_made is not null and exists (select from unnest(v_created) as c where not c) then
    -- sessions made for tasks that were not created after all (their key was taken meanwhile)
    delete from agent_runtime.sessions s
    where s.id = any (v_made) and not exists (select from agent_runtime.tasks t where t.session_id = s.id);
  end if;

  return query
  select t.id, t.session_id, t.status, e.created
  from unnest(v_task, v_created) with ordinality as e(task, created, ord)
  join agent_runtime.tasks t on t.id = e.task
  order by e.ord;
end
$$;
