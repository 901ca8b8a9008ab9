-- Sessions of an app (of one user when user_id is given), newest first, in pages, without
-- their events. Each row's state is the session's own keys (get_session merges in the app
-- and user keys). Pages follow (created_at, id), which never change, so paging is stable and
-- sees each session once even while sessions are being appended to; pass the last row's
-- page_token (with the same app_name and user_id) for the next page.
create or replace function agent_runtime.list_sessions(
  app_name text,
  user_id text default null,
  page_size integer default 50,
  page_token text default null)
returns setof agent_runtime.session_summary
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_decoded text;
  v_after_created_at timestamptz;
  v_after_id text;
begin
  -- GUARD
  perform agent_runtime._check_identifier(list_sessions.app_name, 'app_name');
  if list_sessions.user_id is not null then
    perform agent_runtime._check_identifier(list_sessions.user_id, 'user_id');
  end if;
  if list_sessions.page_size is null or list_sessions.page_size not between 1 and 1000 then
    raise exception using errcode = 'AR001',
      message = format('page_size must be from 1 to 1000, got %s', coalesce(list_sessions.page_size::text, 'NULL')),
      hint = 'Page through larger result sets with page_token.';
  end if;
  if list_sessions.page_token is not null then
    begin
      v_decoded := convert_from(decode(rpad(translate(list_sessions.page_token, '-_', '+/'),
                                            ((length(list_sessions.page_token) + 3) / 4) * 4, '='), 'base64'), 'UTF8');
      v_after_created_at := timestamptz 'epoch' + split_part(v_decoded, '/', 1)::bigint * interval '1 microsecond';
      v_after_id := substr(v_decoded, strpos(v_decoded, '/') + 1);
      if strpos(v_decoded, '/') = 0 or v_after_id = '' then
        raise exception 'no id';
      end if;
    exception when others then
      raise exception using errcode = 'AR001',
        message = format('page_token %s is not valid', agent_runtime._quote(list_sessions.page_token)),
        hint = 'Pass the page_token of the last row of the previous page, unchanged, with the same app_name and user_id.';
    end;
  end if;

  if not agent_runtime._app_visible(agent_runtime._caller_apps(), list_sessions.app_name) then
    return; -- another tenant's app: as empty as an app with no sessions
  end if;

  -- Two queries rather than "user_id is null or ...", so each keeps its own index.
  if list_sessions.user_id is null then
    return query
    select s.id, s.app_name, s.user_id, s.state, s.last_sequence, s.created_at, s.updated_at,
           translate(encode(convert_to(format('%s/%s', (extract(epoch from s.created_at) * 1000000)::bigint, s.id),
                                     'UTF8'), 'base64'), E'+/=\n', '-_')
    from agent_runtime.sessions s
    where s.app_name = list_sessions.app_name
      and (s.created_at, s.id) < (coalesce(v_after_created_at, 'infinity'), coalesce(v_after_id, ''))
    order by s.created_at desc, s.id desc
    limit list_sessions.page_size;
  else
    return query
    select s.id, s.app_name, s.user_id, s.state, s.last_sequence, s.created_at, s.updated_at,
           translate(encode(convert_to(format('%s/%s', (extract(epoch from s.created_at) * 1000000)::bigint, s.id),
                                     'UTF8'), 'base64'), E'+/=\n', '-_')
    from agent_runtime.sessions s
    where s.app_name = list_sessions.app_name
      and s.user_id = list_sessions.user_id
      and (s.created_at, s.id) < (coalesce(v_after_created_at, 'infinity'), coalesce(v_after_id, ''))
    order by s.created_at desc, s.id desc
    limit list_sessions.page_size;
  end if;
end
$$;
