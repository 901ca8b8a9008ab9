-- Sessions (ADK semantics): a conversation of one app and user, with ordered events and state
-- scoped by key prefix: "app:" keys are shared by every session of the app, "user:" keys by
-- every session of that user in the app, other keys belong to the session, "temp:" keys are
-- never stored. A session's id is also its A2A contextId and the session_id of its tasks.
-- One-time script: never edit it after it lands; change the schema in a new up script.

create table agent_runtime.sessions (
  id             text primary key,
  app_name       text not null,
  user_id        text not null,
  -- session-scoped keys only; app and user keys live in app_states and user_states
  state          jsonb not null default '{}'::jsonb,
  -- sequence of the newest event (0: none); append_event's optimistic concurrency check
  last_sequence  bigint not null default 0,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now()
);
-- list_sessions pages newest first by creation time (stable while sessions change), of one
-- user or of a whole app.
create index sessions_user_created on agent_runtime.sessions (app_name, user_id, created_at desc, id desc);
create index sessions_app_created on agent_runtime.sessions (app_name, created_at desc, id desc);

-- "app:" keys, stored without their prefix.
create table agent_runtime.app_states (
  app_name    text primary key,
  state       jsonb not null default '{}'::jsonb,
  updated_at  timestamptz not null default now()
);

-- "user:" keys, stored without their prefix.
create table agent_runtime.user_states (
  app_name    text not null,
  user_id     text not null,
  state       jsonb not null default '{}'::jsonb,
  updated_at  timestamptz not null default now(),
  primary key (app_name, user_id)
);

-- A task lives in a session (submit_task creates it when needed); deleting the session deletes
-- its tasks with it.
alter table agent_runtime.tasks
  add constraint tasks_session_id_fkey foreign key (session_id)
  references agent_runtime.sessions (id) on delete cascade;

-- A session's events, one row each (never one growing array), numbered 1, 2, .. per session.
create table agent_runtime.session_events (
  id             bigint generated always as identity primary key,
  session_id     text not null references agent_runtime.sessions (id) on delete cascade,
  sequence       bigint not null,
  author         text,
  invocation_id  text,
  -- the task whose message this event is (task history); null for plain session events
  task_id        uuid,
  content        jsonb,
  -- the event's actions, state_delta included as given ("temp:" keys removed)
  actions        jsonb,
  -- the whole event as given ("temp:" keys removed from its state_delta)
  event          jsonb not null,
  created_at     timestamptz not null default now(),
  unique (session_id, sequence)
);
create index session_events_task on agent_runtime.session_events (task_id, sequence)
  where task_id is not null;

-- Row shapes returned by the API (OUT columns cannot reuse argument names such as session_id).
create type agent_runtime.session_info as (
  session_id     text,
  app_name       text,
  user_id        text,
  state          jsonb,
  last_sequence  bigint,
  created_at     timestamptz,
  updated_at     timestamptz
);

create type agent_runtime.session_summary as (
  session_id     text,
  app_name       text,
  user_id        text,
  state          jsonb,
  last_sequence  bigint,
  created_at     timestamptz,
  updated_at     timestamptz,
  page_token     text
);

create type agent_runtime.appended_event as (
  session_id  text,
  sequence    bigint,
  event_id    bigint,
  state       jsonb,
  created_at  timestamptz
);
