-- The retention policy an admin set (set_setting: retention.finished_after, retention.statuses),
-- applied by one batch of purge_tasks: returns how many tasks it purged (call again until 0), or
-- NULL when retention is off (retention.finished_after not set, the default). Granted to
-- workers, so that the host can run it on a schedule without choosing what is deleted.
create or replace function agent_runtime.apply_retention(batch_size integer default 1000)
returns integer
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_after jsonb;
  v_statuses jsonb;
begin
  select s.value into v_after from agent_runtime.settings s where s.key = 'retention.finished_after';
  if v_after is null then
    return null;
  end if;
  select s.value into v_statuses from agent_runtime.settings s where s.key = 'retention.statuses';

  -- GUARD (batch_size) and MUTATE
  return agent_runtime.purge_tasks(agent_runtime._duration(v_after, 'retention.finished_after'),
                                   case when v_statuses is not null
                                        then array(select jsonb_array_elements_text(v_statuses)) end,
                                   apply_retention.batch_size);
end
$$;
