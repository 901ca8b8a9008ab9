-- The core runtime: agents, workers, tasks, steps, events, locks.
-- One-time script: never edit it after it lands; change the schema in a new up script.

create schema agent_runtime;
comment on schema agent_runtime is
  'AgentRuntime: durable runtime for AI agents. Tables are private: use the functions.';

create table agent_runtime.agents (
  name          text primary key,
  description   text not null default '',
  input_schema  jsonb not null default '{}'::jsonb,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now()
);

create table agent_runtime.workers (
  worker_id          text primary key,
  agents             text[] not null default '{}',
  info               jsonb not null default '{}'::jsonb,
  registered_at      timestamptz not null default now(),
  last_heartbeat_at  timestamptz not null default now()
);

create table agent_runtime.tasks (
  id               uuid primary key default gen_random_uuid(),
  target           text not null,
  session_id       text not null,
  status           text not null default 'submitted'
                   check (status in ('submitted', 'working', 'input-required', 'auth-required',
                                     'completed', 'failed', 'canceled', 'rejected')),
  input            jsonb not null,
  output           jsonb,
  error            jsonb,
  queue            text not null default 'default',
  priority         integer not null default 0,
  max_attempts     integer not null,
  metadata         jsonb not null default '{}'::jsonb,
  app_name         text,
  user_id          text,
  idempotency_key  text,
  cancel_reason    text,
  -- A2A status message: what an input-required or auth-required task is waiting for.
  status_message   jsonb,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  completed_at     timestamptz
);

create unique index tasks_idempotency_key on agent_runtime.tasks (idempotency_key)
  where idempotency_key is not null;
-- list_tasks pages newest first, optionally by status or session.
create index tasks_created on agent_runtime.tasks (created_at desc, id desc);
create index tasks_status_created on agent_runtime.tasks (status, created_at desc, id desc);
create index tasks_session_created on agent_runtime.tasks (session_id, created_at desc, id desc);

-- A task is a DAG of steps; a one-agent task has one step. `key` and `depends_on`
-- name steps within their task so that workflows fit without a redesign.
create table agent_runtime.steps (
  id                bigint generated always as identity primary key,
  task_id           uuid not null references agent_runtime.tasks (id) on delete cascade,
  key               text not null,
  agent             text not null,
  depends_on        text[] not null default '{}',
  status            text not null
                    check (status in ('pending', 'ready', 'running', 'waiting',
                                      'completed', 'failed', 'canceled', 'skipped')),
  input             jsonb,
  output            jsonb,
  error             jsonb,
  queue             text not null default 'default',
  priority          integer not null default 0,
  run_at            timestamptz not null default now(),
  attempt           integer not null default 0,
  max_attempts      integer not null,
  backoff_seconds   double precision not null,
  max_backoff_seconds double precision not null,
  timeout_seconds   integer,
  -- The lease token of the latest claim stays after the step finishes, so that a
  -- duplicate callback from that claim is recognised and changes nothing.
  lease_token       uuid,
  leased_by         text,
  lease_expires_at  timestamptz,
  cancel_requested  boolean not null default false,
  -- Set by yield_step: why the step waits, what it left for its next run, and when a
  -- durable timer wakes it.
  wait_reason       text,
  yield_payload     jsonb,
  yielded_at        timestamptz,
  resume_at         timestamptz,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  started_at        timestamptz,
  completed_at      timestamptz,
  unique (task_id, key)
);

-- claim_step: ready steps by priority, then due time.
create index steps_ready on agent_runtime.steps (priority desc, run_at, id)
  where status = 'ready';
-- Expired leases are found by expiry; heartbeats find a worker's leases.
create index steps_running_expiry on agent_runtime.steps (lease_expires_at)
  where status = 'running';
create index steps_running_worker on agent_runtime.steps (leased_by)
  where status = 'running';
-- Durable timers: waiting steps whose resume_at has come.
create index steps_waiting_resume on agent_runtime.steps (resume_at)
  where status = 'waiting' and resume_at is not null;

-- Append-only audit trail of every transition.
create table agent_runtime.events (
  id          bigint generated always as identity primary key,
  type        text not null,
  task_id     uuid,
  step_id     bigint,
  worker_id   text,
  data        jsonb not null default '{}'::jsonb,
  created_at  timestamptz not null default now(),
  -- The writing transaction: ids are taken at insert, not at commit, so readers order by
  -- (xact_id, id) and only read up to the oldest transaction still in progress (read_events).
  xact_id     xid8 not null default pg_current_xact_id()
);
create index events_task on agent_runtime.events (task_id, id) where task_id is not null;
-- read_events: the log in commit-safe order.
create index events_xact on agent_runtime.events (xact_id, id);

create table agent_runtime.locks (
  resource     text primary key,
  owner        text not null,
  token        bigint not null,
  acquired_at  timestamptz not null default now(),
  expires_at   timestamptz not null
);

-- One sequence for every lock, so that a resource's fencing tokens only ever grow.
create sequence agent_runtime.lock_tokens as bigint;

-- Row shapes returned by the API. Function OUT columns cannot reuse an argument's name
-- (submit_task takes session_id and returns it), so these are named types.
create type agent_runtime.submitted_task as (
  task_id     uuid,
  session_id  text,
  status      text,
  created     boolean
);

create type agent_runtime.task_details as (
  task_id          uuid,
  session_id       text,
  target           text,
  status           text,
  input            jsonb,
  output           jsonb,
  error            jsonb,
  queue            text,
  priority         integer,
  attempts         integer,
  max_attempts     integer,
  metadata         jsonb,
  app_name         text,
  user_id          text,
  idempotency_key  text,
  cancel_reason    text,
  status_message   jsonb,
  created_at       timestamptz,
  updated_at       timestamptz,
  completed_at     timestamptz,
  steps            jsonb,
  history          jsonb
);

create type agent_runtime.task_summary as (
  task_id       uuid,
  session_id    text,
  target        text,
  status        text,
  queue         text,
  priority      integer,
  attempts      integer,
  error         jsonb,
  metadata      jsonb,
  created_at    timestamptz,
  updated_at    timestamptz,
  completed_at  timestamptz,
  page_token    text
);

-- A row of the event log as read_events returns it; position continues after it.
create type agent_runtime.event_info as (
  id          bigint,
  type        text,
  task_id     uuid,
  step_id     bigint,
  worker_id   text,
  data        jsonb,
  created_at  timestamptz,
  position    text
);
