-- Usage and budgets (docs/sql-api.md#record_usage, docs/flow-control.md#token-budgets): the
-- model calls' usage of each step attempt, a task's token budget (submit option max_tokens) and
-- a queue's shared budget of model tokens per minute (queue option tokens_per_minute).
-- One-time script: never edit it after it lands; change the schema in a new up script.

-- One row per step, attempt and model (record_usage adds each call to it), so that a task's
-- totals sum a handful of rows however many calls it made. The task is the tenant (its app) and
-- what purge_tasks deletes with it; no foreign key to the step: retry_task deletes the map
-- elements it runs anew, whose usage still counts.
create table agent_runtime.step_usage (
  step_id        bigint not null,
  attempt        integer not null,
  model          text not null,
  task_id        uuid not null references agent_runtime.tasks (id) on delete cascade,
  calls          integer not null,
  input_tokens   bigint not null,
  output_tokens  bigint not null,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  primary key (step_id, attempt, model)
);
create index step_usage_task on agent_runtime.step_usage (task_id);

-- The task's budget of input + output tokens over all its runs (NULL: none).
alter table agent_runtime.tasks add column max_tokens integer;
alter type agent_runtime._task_options add attribute max_tokens integer;

-- The queue's bucket of model tokens: model_tokens as of model_tokens_at (NULL: full), refilled
-- at tokens_per_minute / 60 per second up to tokens_per_minute, debited by record_usage; it may
-- go below zero (the calls of runs already going when it ran out).
alter table agent_runtime.queues add column tokens_per_minute integer;
alter table agent_runtime.queues add column model_tokens double precision;
alter table agent_runtime.queues add column model_tokens_at timestamptz;
alter type agent_runtime.queue_info add attribute tokens_per_minute integer;

-- get_task: the task's usage totals, per model.
alter type agent_runtime.task_details add attribute usage jsonb;
