-- Artifacts and long-term memory, ADK's artifact and memory services (docs/artifacts.md,
-- docs/memory.md). One-time script: never edit it after it lands; change the schema in a new up
-- script.

-- pgvector, wherever it is installed: the embedding column and its index name its types through
-- the extension's own schema, so that no function depends on a search_path (docs/security.md).
-- Version 0.8 brings iterative index scans, which keep filtered searches from coming back short.
create extension if not exists vector;
do $$
declare
  v_version text := (select e.extversion from pg_extension e where e.extname = 'vector');
begin
  if string_to_array(v_version, '.')::integer[] < array[0, 8] then
    raise exception 'pgvector 0.8.0 or later is needed for memory, this database has %', v_version
      using hint = 'Install pgvector 0.8 (scripts/setup.sh builds it), run "alter extension vector update", migrate again.';
  end if;
end
$$;

-- Artifact content, stored once per SHA-256 however many versions (of any app) carry it. A row
-- lives as long as a version refers to it: the trigger artifact_versions_free_contents deletes
-- the rows that the last referring version leaves behind.
create table agent_runtime.artifact_contents (
  sha256      bytea primary key,
  content     bytea not null,
  size_bytes  bigint not null,
  created_at  timestamptz not null default now()
);

-- A filename of a session, or of a user when it starts with "user:" (session_id null): the
-- versions' parent. Saving upserts this row, which numbers versions without gaps (0, 1, ..)
-- and serializes concurrent saves of one filename; deleting it deletes every version.
create table agent_runtime.artifacts (
  id              bigint generated always as identity primary key,
  app_name        text not null,
  user_id         text not null,
  session_id      text references agent_runtime.sessions (id) on delete cascade,
  filename        text not null,
  latest_version  integer not null default 0,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  constraint artifacts_key unique nulls not distinct (app_name, user_id, session_id, filename)
);

create table agent_runtime.artifact_versions (
  artifact_id  bigint not null references agent_runtime.artifacts (id) on delete cascade,
  version      integer not null,
  sha256       bytea not null references agent_runtime.artifact_contents (sha256),
  mime_type    text not null,
  size_bytes   bigint not null,
  metadata     jsonb not null default '{}'::jsonb,
  -- the task whose step saved it through its completion's effects (get_a2a_task lists them)
  task_id      uuid references agent_runtime.tasks (id) on delete set null,
  created_at   timestamptz not null default now(),
  primary key (artifact_id, version)
);
-- Freeing content asks whether any version still refers to it.
create index artifact_versions_sha256 on agent_runtime.artifact_versions (sha256);
create index artifact_versions_task on agent_runtime.artifact_versions (task_id) where task_id is not null;

create type agent_runtime.artifact_content as (
  version     integer,
  content     bytea,
  mime_type   text,
  size_bytes  bigint,
  sha256      text,
  metadata    jsonb,
  created_at  timestamptz
);

create type agent_runtime.artifact_version as (
  version     integer,
  mime_type   text,
  size_bytes  bigint,
  sha256      text,
  metadata    jsonb,
  task_id     uuid,
  created_at  timestamptz
);

-- Memory: text, its embedding and metadata, per app and user. The embedding size is the setting
-- memory.dimensions (default 256, the local embedder's); set_setting changes the column's type
-- with it while the table is empty. The HNSW index serves cosine search, the generated tsvector
-- full-text search ('simple': no stemming, no stop words, so any language and exact tokens such
-- as part numbers match), the jsonb_path_ops index metadata filters (@>). ef_construction 128
-- rather than pgvector's 64: on 100k clustered vectors recall@10 at ef_search 100 goes from about
-- 0.84 to 0.98 (bench/memory.sh), for about twice the insert time.
do $$
declare
  v_schema text := (select n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace
                    where e.extname = 'vector');
begin
  execute format($ddl$
    create table agent_runtime.memories (
      id           bigint generated always as identity primary key,
      app_name     text not null,
      user_id      text not null,
      content      text not null,
      embedding    %1$I.vector(256) not null,
      metadata     jsonb not null default '{}'::jsonb,
      content_tsv  tsvector generated always as (to_tsvector('simple'::regconfig, content)) stored,
      created_at   timestamptz not null default now()
    )$ddl$, v_schema);
  execute format('create index memories_embedding on agent_runtime.memories using hnsw (embedding %I.vector_cosine_ops) '
                 'with (m = 16, ef_construction = 128)', v_schema);
end
$$;
create index memories_user on agent_runtime.memories (app_name, user_id, id);
create index memories_content_tsv on agent_runtime.memories using gin (content_tsv);
create index memories_metadata on agent_runtime.memories using gin (metadata jsonb_path_ops);

create type agent_runtime.memory_match as (
  memory_id   bigint,
  content     text,
  metadata    jsonb,
  score       double precision,
  created_at  timestamptz
);
