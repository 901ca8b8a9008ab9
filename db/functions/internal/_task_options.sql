-- The options of tasks (submit_task, submit_tasks, spawned children, schedules), one object per
-- task (NULL: none), checked against option_catalog() (_check_options) and with its defaults,
-- as records. Beyond the catalog: a concurrency_limit needs a concurrency_key (AR001) and
-- applies only with one; run_at defaults to now.
create or replace function agent_runtime._task_options(options jsonb[])
returns agent_runtime._task_options[]
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_result agent_runtime._task_options[];
  v_unkeyed bigint;
begin
  select array_agg(jsonb_populate_record(null::agent_runtime._task_options,
                     c.value
                     || case when c.value -> 'run_at' = 'null'::jsonb then jsonb_build_object('run_at', now()) else '{}'::jsonb end
                     || case when c.value -> 'concurrency_key' = 'null'::jsonb then '{"concurrency_limit": null}'::jsonb else '{}'::jsonb end)
                   order by c.ord),
         min(c.ord) filter (where c.value -> 'concurrency_key' = 'null'::jsonb
                              and c.given -> 'concurrency_limit' <> 'null'::jsonb)
    into v_result, v_unkeyed
  from unnest(agent_runtime._check_options('task', options), options) with ordinality as c(value, given, ord);
  if v_unkeyed is not null then
    raise exception using errcode = 'AR001',
      message = 'option "concurrency_limit" needs a "concurrency_key"',
      hint = 'Name the key whose steps may run at most concurrency_limit at once, e.g. {"concurrency_key": "user-42", "concurrency_limit": 2}.';
  end if;
  return v_result;
end
$$;
