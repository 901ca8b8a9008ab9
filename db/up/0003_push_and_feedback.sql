-- A2A extras: feedback on tasks, and push notifications (webhooks) of task status changes,
-- delivered by the host from an outbox.
-- One-time script: never edit it after it lands; change the schema in a new up script.

-- Ratings and comments on a task's result, several per task.
create table agent_runtime.task_feedback (
  id          bigint generated always as identity primary key,
  task_id     uuid not null references agent_runtime.tasks (id) on delete cascade,
  rating      smallint not null check (rating between 1 and 5),
  text        text,
  metadata    jsonb not null default '{}'::jsonb,
  created_at  timestamptz not null default now()
);
create index task_feedback_task on agent_runtime.task_feedback (task_id, id);

-- Where to POST a task's status changes (A2A PushNotificationConfig), several per task.
-- token is sent as a bearer token; authentication is A2A's PushNotificationAuthenticationInfo
-- ({"schemes": [...], "credentials": "..."}), kept for the receiver's scheme of choice.
create table agent_runtime.push_configs (
  id              uuid primary key default gen_random_uuid(),
  task_id         uuid not null references agent_runtime.tasks (id) on delete cascade,
  url             text not null,
  token           text,
  authentication  jsonb,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now()
);
create index push_configs_task on agent_runtime.push_configs (task_id, created_at, id);

-- The outbox: one row per (task status change x push config), written in the transaction
-- of the change by the events_push trigger; the host claims, POSTs and settles them.
-- attempts counts claims; a claim whose lease expires counts as a failed attempt.
create table agent_runtime.push_deliveries (
  id                bigint generated always as identity primary key,
  config_id         uuid not null references agent_runtime.push_configs (id) on delete cascade,
  task_id           uuid not null,
  event_id          bigint not null,
  status            text not null default 'pending'
                    check (status in ('pending', 'delivering', 'delivered', 'failed')),
  payload           jsonb not null,
  attempts          integer not null default 0,
  max_attempts      integer not null default 10,
  next_attempt_at   timestamptz not null default now(),
  leased_by         text,
  lease_expires_at  timestamptz,
  last_error        text,
  last_status_code  integer,
  delivered_at      timestamptz,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now()
);
-- claim_push_deliveries: due pending rows; expired leases; a config's unsettled rows in order.
create index push_deliveries_due on agent_runtime.push_deliveries (next_attempt_at, id)
  where status = 'pending';
create index push_deliveries_lease on agent_runtime.push_deliveries (lease_expires_at)
  where status = 'delivering';
create index push_deliveries_unsettled on agent_runtime.push_deliveries (config_id, id)
  where status in ('pending', 'delivering');
create index push_deliveries_task on agent_runtime.push_deliveries (task_id, id);

-- Row shapes returned by the API.
create type agent_runtime.task_feedback_info as (
  feedback_id  bigint,
  task_id      uuid,
  rating       integer,
  text         text,
  metadata     jsonb,
  created_at   timestamptz
);

create type agent_runtime.push_config_info as (
  config_id       uuid,
  task_id         uuid,
  url             text,
  token           text,
  authentication  jsonb,
  created_at      timestamptz,
  updated_at      timestamptz
);

create type agent_runtime.claimed_push_delivery as (
  delivery_id       bigint,
  config_id         uuid,
  task_id           uuid,
  event_id          bigint,
  url               text,
  token             text,
  authentication    jsonb,
  payload           jsonb,
  attempt           integer,
  max_attempts      integer,
  lease_expires_at  timestamptz
);
