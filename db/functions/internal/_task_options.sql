-- The options of tasks (submit_task, submit_tasks, spawned children, schedules), one object per
-- task (NULL: none), checked against option_catalog() (_check_options) and with its defaults,
-- as records. Beyond the catalog: a concurrency_limit needs a concurrency_key (AR001) and
-- applies only with one; run_at defaults to now. A loop rather than a statement: a statement's
-- start-up would cost a one-task submit_task more than the loop costs ten thousand.
create or replace function agent_runtime._task_options(options jsonb[])
returns agent_runtime._task_options[]
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_options jsonb;
  v_i integer := 0;
  v_result agent_runtime._task_options[] := '{}';
begin
  foreach v_options in array agent_runtime._check_options('task', options) loop
    v_i := v_i + 1;
    if v_options -> 'concurrency_key' = 'null'::jsonb then
      if options[v_i] -> 'concurrency_limit' <> 'null'::jsonb then
        raise exception using errcode = 'AR001',
          message = 'option "concurrency_limit" needs a "concurrency_key"',
          hint = 'Name the key whose steps may run at most concurrency_limit at once, e.g. {"concurrency_key": "user-42", "concurrency_limit": 2}.';
      end if;
      v_options := v_options || '{"concurrency_limit": null}'::jsonb;
    end if;
    if v_options -> 'run_at' = 'null'::jsonb then
      v_options := v_options || jsonb_build_object('run_at', now());
    end if;
    v_result := v_result || jsonb_populate_record(null::agent_runtime._task_options, v_options);
  end loop;
  return v_result;
end
$$;
