-- What fails in the caller's apps, grouped by error: the steps that failed for good since "since"
-- ago (outcome failed; 1 minute to 30 days, default a day) and the steps whose last attempt failed
-- and that wait for their retry (outcome retry), grouped by outcome and the error's "message" (its
-- whole JSON when it has none), most recent first, at most 200 groups: how often, in how many
-- tasks, by which agents and targets, first and last time, and the newest failure's task and error.
-- The tenant-scoped counterpart of the recent_failures view (admins).
create or replace function agent_runtime.list_failures(since interval default interval '1 day')
returns table (outcome text, message text, failures bigint, tasks bigint, agents text[], targets text[],
               first_failed_at timestamptz, last_failed_at timestamptz, last_task_id uuid, last_error jsonb)
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_apps text[] := agent_runtime._caller_apps();
begin
  -- GUARD
  if list_failures.since is null or list_failures.since not between interval '1 minute' and interval '30 days' then
    raise exception using errcode = 'AR001',
      message = format('since must be from 1 minute to 30 days, got %s', coalesce(list_failures.since::text, 'NULL')),
      hint = 'E.g. interval ''1 hour'' or interval ''7 days''.';
  end if;

  return query
  with failed as (
    select x.outcome, left(coalesce(x.error ->> 'message', x.error::text, 'no error reported'), 1000) as message,
           x.failed_at, x.task_id, x.agent, t.target, x.error
    from (select 'failed' as outcome, s.completed_at as failed_at, s.task_id, s.agent, s.error
          from agent_runtime.steps s
          where s.status = 'failed' and s.completed_at >= now() - list_failures.since
          union all
          select 'retry', s.updated_at, s.task_id, s.agent, s.error
          from agent_runtime.steps s
          where s.status = 'ready' and s.error is not null) x
    join agent_runtime.tasks t on t.id = x.task_id
    where v_apps is null or t.app_name = any (v_apps) -- the tenant rule (_app_visible), set-based
  )
  select f.outcome, f.message, count(*), count(distinct f.task_id),
         array_agg(distinct f.agent) filter (where f.agent is not null), array_agg(distinct f.target),
         min(f.failed_at), max(f.failed_at),
         (array_agg(f.task_id order by f.failed_at desc))[1], (array_agg(f.error order by f.failed_at desc))[1]
  from failed f
  group by f.outcome, f.message
  order by max(f.failed_at) desc, f.outcome, f.message
  limit 200;
end
$$;
