-- The console (docs/console.md) and the CLI commands that show the same: a schedule can be
-- paused; a tenant's task list and a filter by agent or workflow walk one index range each;
-- throughput reads the events of the last minutes by time.
-- One-time script: never edit it after it lands; change the schema in a new up script.

-- A paused schedule fires no slot (_fire_schedules skips it) and wakes no host (next_due_at);
-- resume_schedule sets its next fire time from the moment it resumes.
alter table agent_runtime.schedules add column paused boolean not null default false;
alter type agent_runtime.schedule_info add attribute paused boolean;

-- browse_tasks pages newest first by app (a tenant's tasks, or the app filter) and by target
-- (an agent's or a workflow's tasks). Neither column ever changes, so a status change of a task
-- stays a HOT update (0005_hot_path.sql); "if not exists": an operator may build them beforehand
-- with CREATE INDEX CONCURRENTLY on a large table (docs/operations.md).
create index if not exists tasks_app_created on agent_runtime.tasks (app_name, created_at desc, id desc);
create index if not exists tasks_target_created on agent_runtime.tasks (target, created_at desc, id desc);

-- task_throughput counts the task.completed/failed/canceled events of the last minutes. Events are
-- appended in time order, so a BRIN index (a few pages, nearly free to keep up) finds the newest.
create index if not exists events_created on agent_runtime.events using brin (created_at);
