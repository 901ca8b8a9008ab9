-- The retention policy an admin set (set_setting), one batch of each part: finished tasks
-- (retention.finished_after, retention.statuses: purge_tasks) and idle graph threads
-- (retention.graph_threads_after: purge_graph_threads). Returns how many tasks and threads it
-- purged together (call again until it returns less than batch_size), or NULL when retention
-- is off (neither retention.finished_after nor retention.graph_threads_after is set, the
-- default). Granted to workers, so that the host can run it on a schedule without choosing
-- what is deleted.
create or replace function agent_runtime.apply_retention(batch_size integer default 1000)
returns integer
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_after jsonb;
  v_statuses jsonb;
  v_threads_after jsonb;
  v_purged integer := 0;
begin
  select s.value into v_after from agent_runtime.settings s where s.key = 'retention.finished_after';
  select s.value into v_threads_after from agent_runtime.settings s where s.key = 'retention.graph_threads_after';
  if v_after is null and v_threads_after is null then
    return null;
  end if;
  select s.value into v_statuses from agent_runtime.settings s where s.key = 'retention.statuses';

  -- GUARD (batch_size) and MUTATE
  if v_after is not null then
    v_purged := agent_runtime.purge_tasks(agent_runtime._duration(v_after, 'retention.finished_after'),
                                          case when v_statuses is not null
                                               then array(select jsonb_array_elements_text(v_statuses)) end,
                                          apply_retention.batch_size);
  end if;
  if v_threads_after is not null then
    v_purged := v_purged + agent_runtime.purge_graph_threads(
      agent_runtime._duration(v_threads_after, 'retention.graph_threads_after'), apply_retention.batch_size);
  end if;
  return v_purged;
end
$$;
