-- Workflows: versioned DAG definitions, multi-step tasks (templates resolved when a step becomes
-- ready, conditions, map fan-out), durable events, and child tasks spawned by a step.
-- One-time script: never edit it after it lands; change the schema in a new up script.

create table agent_runtime.workflows (
  name           text not null,
  version        integer not null,
  description    text not null default '',
  definition     jsonb not null,
  registered_by  text,
  created_at     timestamptz not null default now(),
  primary key (name, version)
);

-- A task of a workflow runs the version it started with.
alter table agent_runtime.tasks add column workflow_version integer;
-- A child task (spawned by a step's completion) reports to that step when it finishes.
alter table agent_runtime.tasks add column parent_step_id bigint;
create index tasks_parent_step on agent_runtime.tasks (parent_step_id) where parent_step_id is not null;

-- Workflow steps: what to resolve when the step becomes ready, and how it fans out or waits.
alter table agent_runtime.steps alter column agent drop not null;           -- pure waits have no agent
alter table agent_runtime.steps add column input_template jsonb;             -- NULL: the task input
alter table agent_runtime.steps add column when_condition jsonb;
alter table agent_runtime.steps add column map_source jsonb;                 -- a {"$ref"} to an array
alter table agent_runtime.steps add column map_parent_id bigint;             -- element of a map step
alter table agent_runtime.steps add column map_index integer;
alter table agent_runtime.steps add column wait_for jsonb;                   -- template of an event name
alter table agent_runtime.steps add column wait_event text;                  -- the event name waited for
alter table agent_runtime.steps add column resume_data jsonb;                -- what woke the step (event, timeout)
alter table agent_runtime.steps add column allow_failures boolean not null default false; -- of spawned children
alter table agent_runtime.steps add constraint steps_map_parent_fkey
  foreign key (map_parent_id) references agent_runtime.steps (id) on delete cascade;
alter table agent_runtime.tasks add constraint tasks_parent_step_fkey
  foreign key (parent_step_id) references agent_runtime.steps (id) on delete cascade;
create index steps_map_parent on agent_runtime.steps (map_parent_id, map_index) where map_parent_id is not null;
create index steps_waiting_event on agent_runtime.steps (wait_event) where status = 'waiting' and wait_event is not null;

-- Durable events (emit_event): the first payload of a name wins. scope is the app of the emitter,
-- or '' for an emitter bound to no tenant (single-tenant use); a waiting step sees its own app's
-- events and the unscoped ones.
create table agent_runtime.durable_events (
  scope       text not null,
  name        text not null,
  payload     jsonb not null,
  emitted_at  timestamptz not null default now(),
  primary key (scope, name)
);

create type agent_runtime.workflow_info as (
  name         text,
  version      integer,
  description  text,
  definition   jsonb,
  created_at   timestamptz
);

alter type agent_runtime.task_details add attribute workflow_version integer;
alter type agent_runtime.task_details add attribute parent_step_id bigint;
alter type agent_runtime.task_details add attribute children jsonb;
