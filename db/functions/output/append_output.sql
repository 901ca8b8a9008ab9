-- Appends a chunk of streamed output (an LLM's tokens, progress) to an artifact of the running
-- step's task and returns its seq: per task, from 1, without gaps (the appends of a task's
-- parallel steps are numbered one after the other, and an append that rolls back gives its number
-- back). A chunk that is a JSON string is text; any other JSON value is data; the chunks of one
-- run of an artifact are all text or all data, but for a last chunk that is JSON null, which
-- ends the run and adds nothing to it (the closing chunk of an interrupted run,
-- _close_output_runs). Extends the lease as a heartbeat does
-- (_lock_running_step). Every append notifies channel agent_runtime_task_output with the task's
-- tag (_task_tag) when it commits: listeners re-read with read_output after the last seq they saw.
--
-- A run of an artifact is the chunks a step appends to it in one attempt, up to the one with
-- last = true; a chunk of another attempt, or one after a last one, starts a new run (readers
-- start that artifact over: read_output). With last = true the run's chunks become a version of the
-- artifact of that name in the task's session (a "user:" name: its user's), as a step's artifacts
-- effect saves it (linked to the task, so A2A GetTask lists it; event artifact.saved): text
-- chunks concatenated, text/plain; data chunks as a JSON array, application/json; metadata
-- {"step_id", "attempt", "first_seq", "last_seq", "chunks"}.
--
-- Refused, with nothing written: AR001 (step_id, lease_token, artifact, chunk or last missing;
-- artifact not a valid artifact filename; chunk nested too deep; a text chunk in a run of data
-- chunks, or the reverse), AR012 (no such step, or a step of a task in an app the caller may not
-- see), AR020 (the token is not the step's current lease, or the step is not running under it),
-- AR002 (a chunk over 64 KiB; a run of an artifact over 10 MiB, the artifact limit; a step's
-- output, every attempt's, over 64 MiB).
--
-- Locks: the step, then the task's output head (its sequence), then for last the artifact's
-- filename and its content, the order of save_artifact.
create or replace function agent_runtime.append_output(
  step_id bigint,
  lease_token uuid,
  artifact text,
  chunk jsonb,
  last boolean default false)
returns bigint
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_step agent_runtime.steps;
  v_stream agent_runtime.output_streams;
  v_is_text boolean := jsonb_typeof(append_output.chunk) = 'string';
  v_closing boolean := append_output.chunk = 'null'::jsonb and append_output.last;
  v_bytes bigint;
  v_continues boolean;
  v_run_bytes bigint;
  v_step_bytes bigint;
  v_seq bigint;
  v_owner agent_runtime.sessions;
  v_content bytea;
  v_next record;
begin
  -- GUARD
  perform agent_runtime._check_json(append_output.chunk, 'chunk');
  perform agent_runtime._check_artifact_filename(append_output.artifact, 'artifact');
  if append_output.chunk is null or append_output.last is null then
    raise exception using errcode = 'AR001',
      message = 'chunk and last are required',
      hint = 'Pass the chunk as JSON (a string for text) and whether it is the artifact''s last.';
  end if;
  perform agent_runtime._check_size(append_output.chunk, 'chunk', 65536);
  -- What the chunk adds to its artifact: its UTF-8 text, or its JSON text and a separator
  v_bytes := case when v_closing then 0
                  when v_is_text then octet_length(convert_to(append_output.chunk #>> '{}', 'UTF8'))
                  else octet_length(append_output.chunk::text) + 2 end;

  -- LOCK
  v_step := agent_runtime._lock_running_step(append_output.step_id, append_output.lease_token);

  select * into v_stream
  from agent_runtime.output_streams o
  where o.step_id = v_step.id and o.artifact = append_output.artifact;
  v_continues := found and not v_stream.ended and v_stream.attempt = v_step.attempt;
  if v_continues and v_stream.is_text <> v_is_text and not v_closing then
    raise exception using errcode = 'AR001',
      message = format('artifact %s is streaming %s chunks in this run, got a %s chunk', agent_runtime._quote(append_output.artifact),
                       case when v_stream.is_text then 'text' else 'data' end, case when v_is_text then 'text' else 'data' end),
      hint = 'Stream text (JSON strings) and data (any other JSON) as two artifacts, or end the run with last = true first.';
  end if;
  v_run_bytes := v_bytes;
  if v_continues then
    v_run_bytes := v_run_bytes + v_stream.bytes;
  end if;
  if v_run_bytes > 10485760 then
    raise exception using errcode = 'AR002',
      message = format('artifact %s would hold %s bytes, over the artifact limit of 10485760 bytes (10 MiB)',
                       agent_runtime._quote(append_output.artifact), v_run_bytes),
      hint = 'End the artifact with last = true and stream the rest as another one, or store large content elsewhere and stream a reference.';
  end if;
  select coalesce(sum(o.total_bytes), 0) + v_bytes into v_step_bytes
  from agent_runtime.output_streams o
  where o.step_id = v_step.id;
  if v_step_bytes > 67108864 then
    raise exception using errcode = 'AR002',
      message = format('the streamed output of step %s would hold %s bytes, over the limit of 67108864 bytes (64 MiB) per step',
                       v_step.id, v_step_bytes),
      hint = 'Stream less (a summary, progress), or store large content elsewhere and stream a reference.';
  end if;

  insert into agent_runtime.output_heads as h (task_id, last_seq)
  values (v_step.task_id, 1)
  on conflict on constraint output_heads_pkey do update set last_seq = h.last_seq + 1, updated_at = now()
  returning h.last_seq into v_seq;

  -- MUTATE
  insert into agent_runtime.output_chunks (task_id, seq, step_id, attempt, artifact, chunk, last)
  values (v_step.task_id, v_seq, v_step.id, v_step.attempt, append_output.artifact, append_output.chunk, append_output.last);

  insert into agent_runtime.output_streams as o
    (step_id, artifact, task_id, attempt, is_text, first_seq, last_seq, chunks, bytes, ended, total_bytes)
  values (v_step.id, append_output.artifact, v_step.task_id, v_step.attempt, v_is_text, v_seq, v_seq, 1, v_bytes,
          append_output.last, v_bytes)
  on conflict on constraint output_streams_pkey do update
  set attempt = excluded.attempt, last_seq = excluded.last_seq, ended = excluded.ended,
      is_text = case when v_continues and v_closing then o.is_text else excluded.is_text end,
      first_seq = case when v_continues then o.first_seq else excluded.first_seq end,
      chunks = case when v_continues then o.chunks + 1 else 1 end,
      bytes = case when v_continues then o.bytes + excluded.bytes else excluded.bytes end,
      total_bytes = o.total_bytes + excluded.bytes
  returning o.* into v_stream;

  if append_output.last then
    select case when v_stream.is_text then convert_to(coalesce(string_agg(c.chunk #>> '{}', '' order by c.seq), ''), 'UTF8')
                else convert_to(coalesce(jsonb_agg(c.chunk order by c.seq), '[]'::jsonb)::text, 'UTF8') end
      into v_content
    from agent_runtime.output_chunks c
    where c.task_id = v_step.task_id and c.seq between v_stream.first_seq and v_seq
      and c.step_id = v_step.id and c.artifact = append_output.artifact
      and not (c.last and c.chunk = 'null'::jsonb);
    perform agent_runtime._check_artifact_content(v_content, format('artifact %s', agent_runtime._quote(append_output.artifact)));
    select ss.* into v_owner
    from agent_runtime.tasks t
    join agent_runtime.sessions ss on ss.id = t.session_id
    where t.id = v_step.task_id;
    v_next := agent_runtime._next_artifact_version(v_owner.app_name, v_owner.user_id, v_owner.id, append_output.artifact);
    perform agent_runtime._save_artifact_version(
      v_next.artifact_id, v_next.version, v_owner.id, agent_runtime._store_artifact_content(v_content),
      case when v_stream.is_text then 'text/plain' else 'application/json' end,
      jsonb_build_object('step_id', v_step.id, 'attempt', v_step.attempt, 'first_seq', v_stream.first_seq,
                         'last_seq', v_seq, 'chunks', v_stream.chunks),
      v_step.task_id);
  end if;

  perform pg_notify('agent_runtime_task_output', agent_runtime._task_tag(v_step.task_id));
  return v_seq;
end
$$;
