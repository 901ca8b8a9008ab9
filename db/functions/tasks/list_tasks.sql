-- Tasks newest first, filtered, in pages. Each row carries the page_token that continues
-- after it: pass the last row's token (with the same filters) for the next page.
-- Filters (all optional; a JSON null means no filter): status (a status or an array of
-- them), target, queue, session_id, created_after, created_before, updated_after (the status
-- changed since; A2A's lastUpdatedAfter), updated_before (ISO 8601), metadata (an object the
-- task's metadata contains).
create or replace function agent_runtime.list_tasks(
  filters jsonb default '{}'::jsonb,
  page_size integer default 50,
  page_token text default null)
returns setof agent_runtime.task_summary
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_filters jsonb := coalesce(list_tasks.filters, '{}'::jsonb);
  v_statuses text[];
  v_target text;
  v_queue text;
  v_session_id text;
  v_created_after timestamptz;
  v_created_before timestamptz;
  v_updated_after timestamptz;
  v_updated_before timestamptz;
  v_metadata jsonb;
  v_after_created_at timestamptz;
  v_after_id uuid;
  v_apps text[] := agent_runtime._caller_apps();
begin
  -- GUARD
  perform agent_runtime._check_json(list_tasks.filters, 'filters');
  perform agent_runtime._check_object(v_filters, 'filters');
  perform agent_runtime._check_keys(v_filters, array['status', 'target', 'queue', 'session_id',
    'created_after', 'created_before', 'updated_after', 'updated_before', 'metadata'], 'filters');
  v_statuses := agent_runtime._status_filter(v_filters);
  v_target := agent_runtime._option_text(v_filters, 'target');
  v_queue := agent_runtime._option_text(v_filters, 'queue');
  v_session_id := agent_runtime._option_text(v_filters, 'session_id');
  v_created_after := agent_runtime._option_timestamp(v_filters, 'created_after');
  v_created_before := agent_runtime._option_timestamp(v_filters, 'created_before');
  v_updated_after := agent_runtime._option_timestamp(v_filters, 'updated_after');
  v_updated_before := agent_runtime._option_timestamp(v_filters, 'updated_before');
  v_metadata := nullif(v_filters -> 'metadata', 'null'::jsonb);
  if v_metadata is not null then
    perform agent_runtime._check_object(v_metadata, 'filter "metadata"');
  end if;
  if list_tasks.page_size is null or list_tasks.page_size not between 1 and 1000 then
    raise exception using errcode = 'AR001',
      message = format('page_size must be from 1 to 1000, got %s', coalesce(list_tasks.page_size::text, 'NULL')),
      hint = 'Page through larger result sets with page_token.';
  end if;
  if list_tasks.page_token is not null then
    select p.created_at, p.id into v_after_created_at, v_after_id
    from agent_runtime._decode_page_token(list_tasks.page_token) as p;
  end if;

  return query
  select t.id, t.session_id, t.target, t.status, t.queue, t.priority,
         coalesce((select max(s.attempt) from agent_runtime.steps s where s.task_id = t.id), 0),
         t.error, t.metadata, t.created_at, t.updated_at, t.completed_at,
         agent_runtime._encode_page_token(t.created_at, t.id)
  from agent_runtime.tasks t
  where (v_apps is null or t.app_name = any (v_apps)) -- the tenant rule (_app_visible), set-based
    and (v_statuses is null or t.status = any (v_statuses))
    and (v_target is null or t.target = v_target)
    and (v_queue is null or t.queue = v_queue)
    and (v_session_id is null or t.session_id = v_session_id)
    and (v_created_after is null or t.created_at >= v_created_after)
    and (v_created_before is null or t.created_at < v_created_before)
    and (v_updated_after is null or t.updated_at >= v_updated_after)
    and (v_updated_before is null or t.updated_at < v_updated_before)
    and (v_metadata is null or t.metadata @> v_metadata)
    and (v_after_id is null or (t.created_at, t.id) < (v_after_created_at, v_after_id))
  order by t.created_at desc, t.id desc
  limit list_tasks.page_size;
end
$$;
