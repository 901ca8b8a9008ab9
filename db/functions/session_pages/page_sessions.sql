-- Sessions of an app (of one user when user_id is given) as ADK's listSessions pages them:
-- ordered by last update ('asc' or 'desc', then id; NULL: newest created first), skip rows
-- left out, at most max_sessions returned (NULL: all), each with the merged state get_session
-- returns (app and user keys with their prefixes, and the session's own) and, on every row,
-- the total number of sessions that match. No row: nothing on this page (ask total with skip
-- 0 and max_sessions 1). Offsets shift while sessions are created and deleted; list_sessions
-- pages by a stable key instead.
create or replace function agent_runtime.page_sessions(
  app_name text,
  user_id text default null,
  max_sessions integer default null,
  skip integer default 0,
  order_by text default null)
returns setof agent_runtime.session_page_entry
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  -- GUARD
  perform agent_runtime._check_identifier(page_sessions.app_name, 'app_name');
  if page_sessions.user_id is not null then
    perform agent_runtime._check_identifier(page_sessions.user_id, 'user_id');
  end if;
  if page_sessions.max_sessions < 0 or page_sessions.max_sessions > 10000 then
    raise exception using errcode = 'AR001',
      message = format('max_sessions must be from 0 to 10000, got %s', page_sessions.max_sessions),
      hint = 'Pass the page size, or NULL for every session.';
  end if;
  if page_sessions.skip is null or page_sessions.skip < 0 then
    raise exception using errcode = 'AR001',
      message = format('skip must be 0 or more, got %s', coalesce(page_sessions.skip::text, 'NULL')),
      hint = 'Pass how many sessions come before the page (page - 1) * page size.';
  end if;
  if page_sessions.order_by is not null and page_sessions.order_by not in ('asc', 'desc') then
    raise exception using errcode = 'AR001',
      message = format('order_by must be ''asc'' or ''desc'', got %s', left(quote_literal(page_sessions.order_by), 60)),
      hint = 'Order by last update, oldest (asc) or newest (desc) first, or pass NULL.';
  end if;
  if not agent_runtime._app_visible(agent_runtime._caller_apps(), page_sessions.app_name) then
    return; -- another tenant's app: as empty as an app with no sessions
  end if;

  return query
  select s.id, s.app_name, s.user_id, agent_runtime._session_state(s.app_name, s.user_id, s.state),
         s.last_sequence, s.created_at, s.updated_at, count(*) over ()
  from agent_runtime.sessions s
  where s.app_name = page_sessions.app_name
    and (page_sessions.user_id is null or s.user_id = page_sessions.user_id)
  order by case when page_sessions.order_by = 'asc' then s.updated_at end asc,
           case when page_sessions.order_by = 'desc' then s.updated_at end desc,
           case when page_sessions.order_by is null then s.created_at end desc,
           s.id
  offset page_sessions.skip
  limit page_sessions.max_sessions;
end
$$;
