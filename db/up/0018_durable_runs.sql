-- Durable agent runs (docs/sql-api.md, "Checkpoints" and "Streamed output"): named results of a
-- running step that its retries reuse, and output streamed in chunks, in a gap-free sequence per
-- task. retry_task takes options (reset_checkpoints), so its one-argument form goes; get_task
-- shows a summary of the streamed output. The functions/ folder creates the new ones.
-- One-time script: never edit it after it lands; change the schema in a new up script.

-- A named result of a step's run: the first save of a name wins, and it stays across the step's
-- retries (failure, lease expiry, requeue_step, retry_task unless it resets them). It goes with
-- its step (a map element that retry_task re-creates starts without) and its task (purge_tasks).
create table agent_runtime.step_checkpoints (
  step_id     bigint not null references agent_runtime.steps (id) on delete cascade,
  name        text not null,
  task_id     uuid not null references agent_runtime.tasks (id) on delete cascade,
  output      jsonb not null,
  attempt     integer not null,
  size_bytes  integer not null,
  created_at  timestamptz not null default now(),
  primary key (step_id, name)
);
create index step_checkpoints_task on agent_runtime.step_checkpoints (task_id);

-- The last sequence number of a task's streamed output: its row lock orders the appends of the
-- task's steps, so that seq has no gap (a rolled-back append gives its number back).
create table agent_runtime.output_heads (
  task_id     uuid primary key references agent_runtime.tasks (id) on delete cascade,
  last_seq    bigint not null,
  updated_at  timestamptz not null default now()
);

-- The chunks, in the task's sequence. step_id is no foreign key: retry_task re-creates map
-- elements, and a sequence keeps every number it gave.
create table agent_runtime.output_chunks (
  task_id     uuid not null references agent_runtime.tasks (id) on delete cascade,
  seq         bigint not null,
  step_id     bigint not null,
  attempt     integer not null,
  artifact    text not null,
  chunk       jsonb not null,
  last        boolean not null,
  created_at  timestamptz not null default now(),
  primary key (task_id, seq)
);

-- Each artifact a step streams: its latest run (the chunks since the attempt changed or since the
-- last chunk that ended one), for the limits and for the artifact made of it; total_bytes counts
-- every run of the step, for the step's limit.
create table agent_runtime.output_streams (
  step_id      bigint not null references agent_runtime.steps (id) on delete cascade,
  artifact     text not null,
  task_id      uuid not null references agent_runtime.tasks (id) on delete cascade,
  attempt      integer not null,
  is_text      boolean not null,
  first_seq    bigint not null,
  last_seq     bigint not null,
  chunks       integer not null,
  bytes        bigint not null,
  ended        boolean not null,
  total_bytes  bigint not null,
  primary key (step_id, artifact)
);
create index output_streams_task on agent_runtime.output_streams (task_id);

alter type agent_runtime.task_details add attribute streamed_output jsonb;

drop function if exists agent_runtime.retry_task(uuid);
