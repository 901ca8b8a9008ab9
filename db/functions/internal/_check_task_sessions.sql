-- Tasks going into existing sessions (_submit_tasks): a session of another tenant is "not
-- found", and options naming another app or user than the session's are refused.
create or replace function agent_runtime._check_task_sessions(
  apps text[], session_ids text[], existing boolean[], options agent_runtime._task_options[])
returns void
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_bad record;
begin
  select e.session_id, s.app_name, s.user_id, agent_runtime._app_visible(apps, s.app_name) as visible
    into v_bad
  from unnest(session_ids, existing) with ordinality as e(session_id, existing, ord)
  join unnest(options) with ordinality as o on o.ordinality = e.ord
  join agent_runtime.sessions s on s.id = e.session_id
  where e.existing
    and (not agent_runtime._app_visible(apps, s.app_name) or o.app_name <> s.app_name or o.user_id <> s.user_id)
  order by e.ord
  limit 1;
  if not found then
    return;
  end if;
  if not v_bad.visible then
    raise exception using errcode = 'AR050',
      message = format('no session %s in the apps of this role', left(quote_literal(v_bad.session_id), 120)),
      hint = 'Submit into a session of your own app, or leave session_id out for a new session.';
  end if;
  raise exception using errcode = 'AR001',
    message = format('session %s belongs to app %s and user %s, not to the app_name and user_id in options',
                     left(quote_literal(v_bad.session_id), 120), left(quote_literal(v_bad.app_name), 120),
                     left(quote_literal(v_bad.user_id), 120)),
    hint = 'Leave app_name and user_id out of options (the session''s own apply), or submit into another session.';
end
$$;
