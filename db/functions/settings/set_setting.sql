-- Changes a run-time setting (admin only); a JSON null removes it (its default applies).
-- Settings, their values and defaults:
--   push.allowed_destinations  array of host names and CIDRs that push URLs may reach even
--                              though they are local or private (default [], none), e.g.
--                              ["127.0.0.1/32", "hooks.internal"]; read by set_push_config
--                              and by the host when it connects, so only in forms both read
--                              alike: host names whose last label starts with a letter,
--                              dotted quads in full, IPv6 addresses, each with a prefix or not.
--   testing.allow_clock_offset true lets sessions move the clock schedules fire by (_now):
--                              for tests only (default false).
--   memory.dimensions          the size of memory embeddings, 1 to 2000 (default 256, the
--                              local embedder's); changes the embedding column, so only while
--                              no memory is stored (AR093). Read by memory_dimensions().
--   retention.finished_after   how long finished tasks are kept: an ISO 8601 duration ("P30D")
--                              or a number of seconds, at most 1000 years (purge_tasks takes
--                              no more); unset (the default): forever. The host
--                              purges older ones on a schedule (apply_retention).
--   retention.statuses         the finished statuses retention purges, a non-empty array of
--                              completed, failed, canceled, rejected (default: all four).
--   retention.graph_threads_after  how long a graph thread (LangGraph checkpoints) is kept after
--                              its last write, a duration like retention.finished_after; unset
--                              (the default): forever. Applied by apply_retention.
--   tenancy.unbound_clients    what a client role bound to no tenant may do once some role is
--                              bound: "all" (the default: act in every app, as in single-tenant
--                              use) or "none" (act in no app: a forgotten binding fails closed).
--                              Read by _caller_apps.
create or replace function agent_runtime.set_setting(key text, value jsonb)
returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_entry jsonb;
  v_text text;
  v_bad text;
begin
  -- GUARD
  perform agent_runtime._check_json(set_setting.value, 'value');
  if set_setting.key is null
     or set_setting.key not in ('push.allowed_destinations', 'retention.finished_after', 'retention.statuses',
                                'retention.graph_threads_after', 'memory.dimensions', 'testing.allow_clock_offset',
                                'tenancy.unbound_clients') then
    raise exception using errcode = 'AR003',
      message = format('unknown setting %s', agent_runtime._quote(set_setting.key)),
      hint = 'Known settings: push.allowed_destinations, retention.finished_after, retention.statuses, retention.graph_threads_after, memory.dimensions, testing.allow_clock_offset, tenancy.unbound_clients.';
  end if;
  if set_setting.key = 'memory.dimensions' then
    perform agent_runtime._check_memory_dimensions(set_setting.value);
  elsif set_setting.value is not null and set_setting.value <> 'null'::jsonb then
    if set_setting.key = 'testing.allow_clock_offset' then
      if jsonb_typeof(set_setting.value) <> 'boolean' then
        raise exception using errcode = 'AR001',
          message = format('setting %s must be true or false', set_setting.key),
          hint = 'Pass ''true'' or ''false''.';
      end if;
    elsif set_setting.key = 'push.allowed_destinations' then
      if jsonb_typeof(set_setting.value) <> 'array' then
        raise exception using errcode = 'AR001',
          message = format('setting %s must be a JSON array of strings, got %s', set_setting.key, jsonb_typeof(set_setting.value)),
          hint = 'Pass e.g. ''["127.0.0.1/32", "hooks.internal"]''.';
      end if;
      for v_entry in select e.value from jsonb_array_elements(set_setting.value) as e(value) loop
        v_text := v_entry #>> '{}';
        -- Only forms that this database and the host read alike: PostgreSQL reads "10.1" as
        -- 10.1.0.0/16 and .NET as 10.0.0.1, and a resolver reads "0x7f000001" as an address.
        continue when jsonb_typeof(v_entry) = 'string'
                  and ((length(v_text) <= 253
                        and v_text ~ '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z]([a-z0-9-]{0,61}[a-z0-9])?$')
                       or ((v_text ~ '^(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}(/[0-9]{1,2})?$'
                            or v_text ~ '^[0-9a-f:.]*:[0-9a-f:.]*(/[0-9]{1,3})?$')
                           and agent_runtime._try_cidr(v_text) is not null));
        v_bad := coalesce(v_text, v_entry::text);
        exit;
      end loop;
      if v_bad is not null then
        raise exception using errcode = 'AR001',
          message = format('setting %s has an entry that is neither a lower-case host name nor a CIDR: %s',
                           set_setting.key, agent_runtime._quote(v_bad)),
          hint = 'Entries are lower-case host names of at most 253 characters whose last label starts with a letter, such as '
                 '"hooks.internal", or CIDRs written in full, such as "10.1.0.0/16", "127.0.0.1" and "::1/128".';
      end if;
    elsif set_setting.key = 'tenancy.unbound_clients' then
      if set_setting.value not in ('"all"'::jsonb, '"none"'::jsonb) then
        raise exception using errcode = 'AR001',
          message = format('setting %s must be "all" or "none"', set_setting.key),
          hint = 'Pass ''"none"'' to give client roles bound to no tenant no app once tenants exist, ''"all"'' (the default) for every app.';
      end if;
    elsif set_setting.key in ('retention.finished_after', 'retention.graph_threads_after') then
      perform agent_runtime._check_retention_age(agent_runtime._duration(set_setting.value, set_setting.key), 'setting ' || set_setting.key);
    elsif jsonb_typeof(set_setting.value) <> 'array' or jsonb_array_length(set_setting.value) = 0
          or exists (select from jsonb_array_elements(set_setting.value) as e(value)
                     where jsonb_typeof(e.value) <> 'string'
                        or not (e.value #>> '{}') = any (agent_runtime._finished_statuses())) then
      -- retention.statuses
      raise exception using errcode = 'AR001',
        message = format('setting %s must be a non-empty array of finished statuses, got %s',
                         set_setting.key, agent_runtime._quote(set_setting.value::text)),
        hint = 'Pass e.g. ''["completed", "canceled"]''; the finished statuses are completed, failed, canceled, rejected.';
    end if;
  end if;

  -- MUTATE (a new embedding size first: it is refused while memories are stored)
  if set_setting.key = 'memory.dimensions' then
    perform agent_runtime._resize_memory_embeddings(coalesce((nullif(set_setting.value, 'null'::jsonb))::integer, 256));
  end if;
  if set_setting.value is null or set_setting.value = 'null'::jsonb then
    delete from agent_runtime.settings s where s.key = set_setting.key;
  else
    insert into agent_runtime.settings as s (key, value)
    values (set_setting.key, set_setting.value)
    on conflict on constraint settings_pkey do update set value = excluded.value, updated_at = now();
  end if;
  insert into agent_runtime.events (type, data)
  values ('setting.changed', jsonb_build_object('key', set_setting.key, 'value', set_setting.value));
end
$$;
