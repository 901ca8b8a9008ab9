-- Tasks of the caller's apps, newest first, for people browsing them (the console): a page of
-- at most page_size (1-1000) tasks as {"tasks": [...], "next_page_token": ...}, each task with
-- the columns a list shows (task_id, target, workflow: whether the target is a workflow, status,
-- queue, app_name, user_id, session_id, attempts, error: the error's message, created_at,
-- updated_at, completed_at). Filters (all optional; a JSON null means no filter): status (a status
-- or an array of them), target, app_name, queue, created_after, created_before (ISO 8601), and id:
-- the start of a task id (4 to 32 hex digits; hyphens are ignored).
-- The cost of a call is bounded whatever the filters: it walks at most 10,000 tasks, newest first,
-- through one index range (by app for a tenant or the app filter, by target, by creation time, or
-- by id), and keeps those of the status and queue asked for. When the walk ends before the page
-- is full, next_page_token continues after the last task walked: a page can then be short, or
-- empty, and still be followed by more. NULL: nothing more. Pass the token back with the same
-- filters; list_tasks is the form with full pages (the A2A endpoint's). The walk must go down its
-- index in order, also right after a bulk load (statistics not gathered yet), when the planner
-- would rather read a whole range through a bitmap and sort it: hence no bitmap or sequential scan.
create or replace function agent_runtime.browse_tasks(
  filters jsonb default '{}'::jsonb,
  page_size integer default 50,
  page_token text default null)
returns jsonb
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
set enable_seqscan = off
set enable_bitmapscan = off
as $$
#variable_conflict use_column
declare
  c_walk constant integer := 10000;
  v_filters jsonb := coalesce(browse_tasks.filters, '{}'::jsonb);
  v_apps text[] := agent_runtime._caller_apps();
  v_statuses text[];
  v_app text;
  v_target text;
  v_queue text;
  v_created_after timestamptz;
  v_created_before timestamptz;
  v_id text;
  v_id_low uuid;
  v_id_high uuid;
  v_after_created_at timestamptz;
  v_after_id uuid;
  v_where text := 'true';
  v_walk text;
  v_tasks jsonb;
  v_walked integer;
  v_matched integer;
  v_last_walked text;
  v_last_matched text;
begin
  -- GUARD
  perform agent_runtime._check_json(browse_tasks.filters, 'filters');
  perform agent_runtime._check_object(v_filters, 'filters');
  perform agent_runtime._check_keys(v_filters, array['status', 'target', 'app_name', 'queue', 'created_after',
    'created_before', 'id'], 'filters');
  v_statuses := agent_runtime._status_filter(v_filters);
  v_app := agent_runtime._option_text(v_filters, 'app_name');
  v_target := agent_runtime._option_text(v_filters, 'target');
  v_queue := agent_runtime._option_text(v_filters, 'queue');
  v_created_after := agent_runtime._option_timestamp(v_filters, 'created_after');
  v_created_before := agent_runtime._option_timestamp(v_filters, 'created_before');
  v_id := lower(replace(agent_runtime._option_text(v_filters, 'id'), '-', ''));
  if v_id is not null then
    if v_id !~ '^[0-9a-f]{4,32}$' then
      raise exception using errcode = 'AR001',
        message = format('filter "id" must be the start of a task id (4 to 32 hex digits), got %s',
                         left(quote_literal(v_filters ->> 'id'), 60)),
        hint = 'Paste the first characters of the id, e.g. "0b6f6c8e".';
    end if;
    v_id_low := rpad(v_id, 32, '0')::uuid;
    v_id_high := rpad(v_id, 32, 'f')::uuid;
  end if;
  if browse_tasks.page_size is null or browse_tasks.page_size not between 1 and 1000 then
    raise exception using errcode = 'AR001',
      message = format('page_size must be from 1 to 1000, got %s', coalesce(browse_tasks.page_size::text, 'NULL')),
      hint = 'Page through larger result sets with page_token.';
  end if;
  if browse_tasks.page_token is not null then
    select p.created_at, p.id into v_after_created_at, v_after_id
    from agent_runtime._decode_page_token(browse_tasks.page_token) as p;
  end if;

  -- The apps to walk: the app filter, when the caller may see it; else the caller's apps (NULL: all).
  if v_app is not null then
    v_apps := case when agent_runtime._app_visible(v_apps, v_app) then array[v_app] else '{}' end;
  end if;

  -- The walk's index range, as constant SQL text: the values are parameters ($1..$9) only. Each
  -- condition is there only when its filter is, so the planner sees the index each one serves.
  if v_apps is not null then
    v_where := v_where || ' and t.app_name = a.app_name';
  end if;
  if v_after_id is not null then
    v_where := v_where || ' and (t.created_at, t.id) < ($3, $4)';
  end if;
  if v_created_after is not null then
    v_where := v_where || ' and t.created_at >= $5';
  end if;
  if v_created_before is not null then
    v_where := v_where || ' and t.created_at < $6';
  end if;
  if v_target is not null then
    v_where := v_where || ' and t.target = $7';
  end if;
  if v_id is not null then
    v_where := v_where || ' and t.id between $8 and $9';
  end if;
  v_walk := format('select t.* from agent_runtime.tasks t where %s order by t.created_at desc, t.id desc limit $10', v_where);
  if v_apps is not null then
    -- One range of tasks_app_created per app, merged.
    v_walk := format('select t.* from unnest($1::text[]) as a(app_name) cross join lateral (%s) as t '
                     'order by t.created_at desc, t.id desc limit $10', v_walk);
  end if;

  execute format($sql$
    with walked as materialized (%s),
    matched as (
      select w.* from walked w
      where ($2::text[] is null or w.status = any ($2)) and ($11::text is null or w.queue = $11)
      order by w.created_at desc, w.id desc
      limit $12
    )
    select (select coalesce(jsonb_agg(jsonb_build_object(
                     'task_id', m.id, 'target', m.target, 'workflow', m.workflow_version is not null, 'status', m.status,
                     'queue', m.queue, 'app_name', m.app_name, 'user_id', m.user_id, 'session_id', m.session_id,
                     'attempts', (select coalesce(max(s.attempt), 0) from agent_runtime.steps s where s.task_id = m.id),
                     'error', left(m.error ->> 'message', 500),
                     'created_at', m.created_at, 'updated_at', m.updated_at, 'completed_at', m.completed_at)
                   order by m.created_at desc, m.id desc), '[]'::jsonb)
            from matched m),
           (select count(*) from walked),
           (select count(*) from matched),
           (select agent_runtime._encode_page_token(w.created_at, w.id) from walked w order by w.created_at, w.id limit 1),
           (select agent_runtime._encode_page_token(m.created_at, m.id) from matched m order by m.created_at, m.id limit 1)
    $sql$, v_walk)
  into v_tasks, v_walked, v_matched, v_last_walked, v_last_matched
  using v_apps, v_statuses, v_after_created_at, v_after_id, v_created_after, v_created_before, v_target,
        v_id_low, v_id_high, c_walk, v_queue, browse_tasks.page_size;

  return jsonb_build_object('tasks', v_tasks,
                            'next_page_token', case when v_matched = browse_tasks.page_size then v_last_matched
                                                    when v_walked = c_walk then v_last_walked end);
end
$$;
