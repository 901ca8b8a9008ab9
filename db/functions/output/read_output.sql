-- A task's streamed output (append_output) after seq after_seq, in seq order, at most max_chunks
-- chunks: a reader that reconnects resumes from the last seq it saw, and one that is notified on
-- agent_runtime_task_output reads from there. The sequence has no gaps, and the chunks of a seq
-- are final once read (every chunk is committed when it is visible), so reading up to the last
-- seq returned and then after it misses nothing. Each chunk carries the attempt of the run that
-- appended it.
--
-- What a reader sees when a run is retried: the chunks of the earlier run stay (a sequence never
-- changes), and the new run appends its own, of its attempt, after them. A reader keeps, per
-- artifact, the chunks of its current run only: when a chunk of an artifact follows that
-- artifact's last chunk (last = true), or has another attempt than its previous chunk, the
-- artifact starts over with it (what was shown of it is replaced). A last chunk that is JSON null
-- adds nothing: it closes a run that was interrupted where the next run keeps the attempt number
-- (yield_step, requeue_step, retry_task: _close_output_runs), and such a run makes no artifact.
-- The artifact that a run's last chunk makes (append_output) holds that run's chunks only.
--
-- The tenant rule is get_task's: a task of another app is not found (AR011). Refused: AR001
-- (task_id or after_seq missing, after_seq below 0, max_chunks not from 1 to 1000).
create or replace function agent_runtime.read_output(
  task_id uuid,
  after_seq bigint default 0,
  max_chunks integer default 1000)
returns table (seq bigint, artifact text, chunk jsonb, attempt integer, last boolean, created_at timestamptz)
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  -- GUARD
  perform agent_runtime._check_task_visible(read_output.task_id);
  if read_output.after_seq is null or read_output.after_seq < 0 then
    raise exception using errcode = 'AR001',
      message = format('after_seq must be 0 or more, got %s', coalesce(read_output.after_seq::text, 'NULL')),
      hint = 'Pass 0 to read from the start, or the last seq read.';
  end if;
  if read_output.max_chunks is null or read_output.max_chunks not between 1 and 1000 then
    raise exception using errcode = 'AR001',
      message = format('max_chunks must be from 1 to 1000, got %s', coalesce(read_output.max_chunks::text, 'NULL')),
      hint = 'Read in pages of up to 1000 chunks, each after the last seq of the previous one.';
  end if;

  return query
  select c.seq, c.artifact, c.chunk, c.attempt, c.last, c.created_at
  from agent_runtime.output_chunks c
  where c.task_id = read_output.task_id and c.seq > read_output.after_seq
  order by c.seq
  limit read_output.max_chunks;
end
$$;
