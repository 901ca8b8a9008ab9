-- Every option of a task (submit_task, submit_tasks, spawned children, schedules), of a workflow
-- step (define_workflow), of a queue (configure_queue) and of a retry (retry_task): its name, type, range and default, in
-- the one place that states them. The functions check options against it (_check_options) and
-- take their defaults from it; clients, the CLI and the docs read it rather than repeat it.
--   type: integer or number (minimum..maximum), boolean, timestamp (ISO 8601, finite),
--     identifier (a string of 1 to 256 characters, no control characters), name (1 to 100
--     letters, digits and _ . : / -, starting with a letter or digit), object (a JSON object of
--     at most maximum bytes);
--   default_value: the value of an option left out or given as JSON null; NULL when there is
--     none or it depends on the call (the description says which).
-- A step's options are the task options with a step description: same type and range, default
-- the task's value. PL/pgSQL rather than SQL: it keeps the query's plan for the session (every
-- submit reads this), where an SQL function would plan it at every call.
create or replace function agent_runtime.option_catalog()
returns table (scope text, name text, type text, minimum numeric, maximum numeric, default_value jsonb, description text)
language plpgsql immutable security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  return query
  with task (name, type, minimum, maximum, default_value, description, step_description) as (
    values
      ('idempotency_key', 'identifier', null::numeric, null::numeric, null::jsonb,
       'Submit at most once: a task of the app with this key is returned instead of a new one. Default: none.', null),
      ('priority', 'integer', -32768, 32767, '0',
       'Higher is claimed first.', null),
      ('queue', 'name', null, null, '"default"',
       'The queue its steps are claimed from (configure_queue sets its flow control).', null),
      ('run_at', 'timestamp', null, null, null,
       'Not claimed before this time. Default: now.', null),
      ('max_attempts', 'integer', 1, 1000, '3',
       'Runs of a step before the task fails for good.',
       'Runs of this step before it fails for good. Default: the task''s.'),
      ('backoff_seconds', 'number', 0, 86400, '2',
       'Delay before the first retry, doubled at each further one (with jitter).',
       'Delay before this step''s first retry. Default: the task''s.'),
      ('max_backoff_seconds', 'number', 0, 604800, '600',
       'The longest delay between retries.',
       'The longest delay between this step''s retries. Default: the task''s.'),
      ('timeout', 'integer', 1, 604800, null,
       'Seconds a run may take: handed to the worker, and a lease never reaches past start + timeout + 10 s. Default: none.',
       'Seconds a run of this step may take. Default: the task''s.'),
      ('metadata', 'object', null, 65536, '{}',
       'Stored with the task, returned by claim_step, filterable in list_tasks.', null),
      ('app_name', 'identifier', null, null, null,
       'The app of the new session (an existing session''s must match). Default: the session''s, the parent task''s, the caller''s only app, else the target.', null),
      ('user_id', 'identifier', null, null, null,
       'The user of the new session (an existing session''s must match). Default: the session''s, the parent task''s, else anonymous.', null),
      ('concurrency_key', 'identifier', null, null, null,
       'Steps of tasks with this key run at most concurrency_limit at once, across all hosts. Default: none.', null),
      ('concurrency_limit', 'integer', 1, 10000, '1',
       'With a concurrency_key (needed): how many of the key''s steps may run at once.', null),
      ('fairness_key', 'identifier', null, null, null,
       'The tenant the task counts against in fair share. Default: the task''s app.', null),
      ('deadline', 'timestamp', null, null, null,
       'Then the task''s unfinished steps are canceled and it fails (deadline_exceeded). Default: none.', null),
      ('max_tokens', 'integer', 1, 1000000000, null,
       'Input plus output tokens its model calls may use, over all its runs (record_usage); the call that passes it fails the task (token_budget_exceeded). Default: none.', null)
  )
  select 'task', t.name, t.type, t.minimum, t.maximum, t.default_value, t.description from task t
  union all
  select 'step', t.name, t.type, t.minimum, t.maximum, null, t.step_description from task t where t.step_description is not null
  union all
  select 'queue', q.name, q.type, q.minimum, q.maximum, q.default_value, q.description
  from (values
      ('paused', 'boolean', null::numeric, null::numeric, 'false'::jsonb,
       'Claims skip a paused queue; steps already running finish.'),
      ('concurrency_limit', 'integer', 1, 100000, null,
       'At most this many of the queue''s steps run at once, across all hosts. Default: no limit.'),
      ('rate_per_second', 'number', 0.001, 100000, null,
       'Claims beyond this rate wait (a token bucket, refilled continuously). Default: no limit.'),
      ('burst', 'number', 1, 1000000, null,
       'The most tokens saved up. Default: the rate, at least 1.'),
      ('tokens_per_minute', 'integer', 1, 1000000000, null,
       'Model tokens its steps may use per minute, across all hosts (record_usage debits them): claims wait while a minute''s worth is used up. Default: no limit.')
  ) as q (name, type, minimum, maximum, default_value, description)
  union all
  select 'retry', r.name, r.type, r.minimum, r.maximum, r.default_value, r.description
  from (values
      ('reset_checkpoints', 'boolean', null::numeric, null::numeric, 'false'::jsonb,
       'Delete the checkpoints of the steps that run again, so that their work is done anew.')
  ) as r (name, type, minimum, maximum, default_value, description);
end
$$;
