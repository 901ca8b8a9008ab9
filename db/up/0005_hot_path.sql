-- The hot path: fewer index entries per transition, HOT updates of tasks, a claim index per
-- agent. Measured before this script (one PostgreSQL 15, fsync on, pg_stat_statements with
-- nested statements): in a claim of 250 steps, the non-HOT update of 250 tasks (status was
-- indexed, so each update wrote 5 index entries) cost more than the step update and the 500
-- event rows together; _expire_leases walked the running-worker index past every running step.
-- One-time script: never edit it after it lands; change the schema in a new up script.

-- Tasks: no index mentions status any more, so a status change is a HOT update when the page
-- has room (fillfactor). list_tasks by status walks tasks_created and filters.
drop index agent_runtime.tasks_status_created;
alter table agent_runtime.tasks set (fillfactor = 75);

-- Steps: claims walk the ready steps of one agent in claim order (one index range per agent,
-- merged by claim_step); heartbeats find leases by step id (the host passes them) or through the
-- expiry index, so the per-worker index goes.
drop index agent_runtime.steps_ready;
create index steps_ready on agent_runtime.steps (agent, priority desc, run_at, id) where status = 'ready';
drop index agent_runtime.steps_running_worker;

-- Events: read by (xact_id, id) and by (task_id, id); nothing looks an event up by id alone, so
-- the primary key index is one index entry per event for nothing. Ids stay unique (identity).
alter table agent_runtime.events drop constraint events_pkey;

-- A task's options as submit_task and submit_tasks read them (_task_options).
create type agent_runtime._task_options as (
  idempotency_key      text,
  queue                text,
  priority             integer,
  run_at               timestamptz,
  max_attempts         integer,
  backoff_seconds      double precision,
  max_backoff_seconds  double precision,
  timeout_seconds      integer,
  metadata             jsonb,
  app_name             text,
  user_id              text
);


-- A reported step as the batch callbacks find it once locked (_lock_leased_steps).
create type agent_runtime._leased_step as (
  step_id     bigint,
  task_id     uuid,
  status      text,
  token_ok    boolean,
  wait_reason text
);
