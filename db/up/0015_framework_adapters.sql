-- What the framework adapters (clients/typescript: ADK's services, LangGraph's checkpoint saver)
-- need beyond the API the runtime had: graph checkpoints and pages of sessions by last update.
--
-- Graph checkpoints: the state of LangGraph threads (and any graph runtime that checkpoints the
-- same way), kept in the runtime beside sessions. A thread belongs to an app, like a session,
-- so the tenant rules apply to it; its checkpoints, the channel values they point at and the
-- pending writes of its tasks go with it. Retention deletes whole threads that nobody wrote to
-- for a while (setting retention.graph_threads_after), never single checkpoints: a checkpoint's
-- channel values and delta history may live in its ancestors.
-- One-time script: never edit it after it lands; change the schema in a new up script.

create table agent_runtime.graph_threads (
  id          bigint generated always as identity primary key,
  app_name    text not null,
  -- ids are compared byte-wise (collation "C"): graph runtimes order checkpoint ids as strings
  thread_id   text collate "C" not null,
  created_at  timestamptz not null default now(),
  -- the last write (checkpoint or pending writes): what retention measures a thread's age by
  updated_at  timestamptz not null default now(),
  unique (app_name, thread_id)
);
create index graph_threads_updated on agent_runtime.graph_threads (updated_at);

-- One row per checkpoint: the checkpoint without its channel values (they live in
-- graph_checkpoint_blobs, stored once per channel version, so a checkpoint that changes one
-- channel stores one value) and its metadata.
create table agent_runtime.graph_checkpoints (
  thread                bigint not null references agent_runtime.graph_threads (id) on delete cascade,
  checkpoint_ns         text collate "C" not null,
  checkpoint_id         text collate "C" not null,
  parent_checkpoint_id  text collate "C",
  checkpoint            jsonb not null,
  metadata              jsonb not null,
  created_at            timestamptz not null default now(),
  primary key (thread, checkpoint_ns, checkpoint_id)
);

-- Channel values by version, as the graph runtime serialized them (type: its serializer's tag;
-- blob NULL for type "empty", a channel that has a version and no value).
create table agent_runtime.graph_checkpoint_blobs (
  thread         bigint not null references agent_runtime.graph_threads (id) on delete cascade,
  checkpoint_ns  text collate "C" not null,
  channel        text collate "C" not null,
  version        text collate "C" not null,
  type           text not null,
  blob           bytea,
  primary key (thread, checkpoint_ns, channel, version)
);

-- Pending writes of a checkpoint's tasks, replayed in (task_id, idx) order.
create table agent_runtime.graph_checkpoint_writes (
  thread         bigint not null references agent_runtime.graph_threads (id) on delete cascade,
  checkpoint_ns  text collate "C" not null,
  checkpoint_id  text collate "C" not null,
  task_id        text collate "C" not null,
  idx            integer not null,
  channel        text collate "C" not null,
  type           text not null,
  blob           bytea,
  task_path      text not null default '',
  primary key (thread, checkpoint_ns, checkpoint_id, task_id, idx)
);

-- A checkpoint as get_graph_checkpoint and list_graph_checkpoints return it: its channel values
-- and pending writes as parallel arrays, and, for checkpoints of format v < 4 that have a
-- parent, the parent's pending sends (writes to the channel "__pregel_tasks"), which newer
-- formats keep as a channel value.
create type agent_runtime.graph_checkpoint as (
  thread_id             text,
  checkpoint_ns         text,
  checkpoint_id         text,
  parent_checkpoint_id  text,
  checkpoint            jsonb,
  metadata              jsonb,
  channels              text[],
  channel_types         text[],
  channel_blobs         bytea[],
  write_task_ids        text[],
  write_channels        text[],
  write_types           text[],
  write_blobs           bytea[],
  parent_send_types     text[],
  parent_send_blobs     bytea[],
  created_at            timestamptz
);

-- A page of sessions ordered by their last update, with the total (ADK's listSessions).
create type agent_runtime.session_page_entry as (
  session_id     text,
  app_name       text,
  user_id        text,
  state          jsonb,
  last_sequence  bigint,
  created_at     timestamptz,
  updated_at     timestamptz,
  total          bigint
);
