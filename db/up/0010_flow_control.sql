-- Flow control and schedules (docs/flow-control.md): queue settings (paused, concurrency limit,
-- rate), concurrency keys, fair share between tenants, deadlines, exact wake-ups, cron schedules.
-- One-time script: never edit it after it lands; change the schema in a new up script.

-- Settings of the queues that have any (a queue without a row runs unlimited). tokens and
-- refilled_at are the token bucket of rate_per_second (burst: at most this many tokens saved up).
create table agent_runtime.queues (
  name               text primary key,
  paused             boolean not null default false,
  concurrency_limit  integer,
  rate_per_second    double precision,
  burst              double precision,
  tokens             double precision,
  refilled_at        timestamptz,
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now()
);

-- Fair share: claims take from the tenants (fair_key: the fairness_key option, else the task's
-- app) of an agent in turn, weighted (default 1).
create table agent_runtime.fairness_weights (
  fair_key    text primary key,
  weight      double precision not null,
  updated_at  timestamptz not null default now()
);

alter table agent_runtime.steps add column fair_key text not null default '';
alter table agent_runtime.steps add column concurrency_key text;
alter table agent_runtime.steps add column concurrency_limit integer;
alter table agent_runtime.tasks add column deadline timestamptz;

-- Claims walk the ready steps of one agent and one tenant in claim order; the tenants of an agent
-- are found by skipping through this index (claim_step).
drop index agent_runtime.steps_ready;
create index steps_ready on agent_runtime.steps (agent, fair_key, priority desc, run_at, id) where status = 'ready';
-- When the next step of an agent becomes due (next_due_at, exact wake-ups).
create index steps_ready_due on agent_runtime.steps (agent, run_at) where status = 'ready';
-- Steps of a concurrency key running now.
create index steps_running_key on agent_runtime.steps (concurrency_key) where status = 'running' and concurrency_key is not null;
-- Tasks with a deadline (no status in the index, so that status changes stay HOT updates).
create index tasks_deadline on agent_runtime.tasks (deadline) where deadline is not null;

-- Cron schedules: each slot submits one task (idempotency key per slot), whichever host or
-- plain-SQL worker notices it first (claim_step).
create table agent_runtime.schedules (
  app_name      text not null,
  name          text not null,
  cron          text not null,
  timezone      text not null,
  target        text not null,
  input         jsonb not null,
  options       jsonb not null,
  backfill      integer not null,
  next_fire_at  timestamptz not null,
  last_fire_at  timestamptz,
  last_task_id  uuid,
  registered_by text,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  primary key (app_name, name)
);
create index schedules_due on agent_runtime.schedules (next_fire_at);

alter type agent_runtime._task_options add attribute concurrency_key text;
alter type agent_runtime._task_options add attribute concurrency_limit integer;
alter type agent_runtime._task_options add attribute fairness_key text;
alter type agent_runtime._task_options add attribute deadline timestamptz;

create type agent_runtime.queue_info as (
  queue              text,
  paused             boolean,
  concurrency_limit  integer,
  rate_per_second    double precision,
  ready              bigint,
  scheduled          bigint,
  running            bigint,
  waiting            bigint,
  oldest_ready_at    timestamptz
);

create type agent_runtime.schedule_info as (
  app_name      text,
  name          text,
  cron          text,
  timezone      text,
  target        text,
  input         jsonb,
  options       jsonb,
  backfill      integer,
  next_fire_at  timestamptz,
  last_fire_at  timestamptz,
  last_task_id  uuid,
  last_status   text
);
