-- A durable agent run from psql, no .NET: a worker records a checkpoint and streams output,
-- loses its lease half-way (as when its host dies), and the next attempt resumes from the
-- checkpoint instead of redoing the work. Run against a migrated database:
--   psql -v ON_ERROR_STOP=1 -f examples/durable-run.sql
-- docs/durable-agents.md explains each part.
\set QUIET on
\pset footer off

\o /dev/null
select agent_runtime.register_agent('sql_writer', 'Outlines a topic, then writes about it');
\o

-- backoff_seconds 0: a run that lost its lease is due again at once.
select task_id from agent_runtime.submit_task('sql_writer', '{"topic": "durable runs"}',
  options => '{"backoff_seconds": 0}') \gset
\echo submitted :task_id

-- Attempt 1: claim with a lease of one second (a real worker heartbeats; this one will not).
select step_id, lease_token, attempt from agent_runtime.claim_step('psql-worker-1', array['sql_writer'], 1, 1) \gset first_
\echo attempt :first_attempt holds step :first_step_id

-- The expensive part (a model call, say) is done once and recorded under a name. save_checkpoint
-- returns what the step keeps under that name, and extends the lease as a heartbeat does.
select agent_runtime.save_checkpoint(:first_step_id, :'first_lease_token', 'outline',
  '{"points": ["checkpoints", "streamed output", "retries"]}') as recorded;

-- Output streams as it is produced: each chunk gets the task's next sequence number, and
-- listeners of agent_runtime_task_output are told. A JSON string is text.
select agent_runtime.append_output(:first_step_id, :'first_lease_token', 'article', '"Durable runs keep "') as seq;

-- The worker goes silent: its lease expires.
\o /dev/null
select pg_sleep(1.5);
\o

-- Attempt 2, by another worker (claim_step settles the expired lease first).
select step_id, lease_token, attempt from agent_runtime.claim_step('psql-worker-2', array['sql_writer'], 1, 30) \gset second_
\echo attempt :second_attempt holds step :second_step_id

-- The checkpoint of attempt 1 is still there: attempt 2 reads it instead of doing the work again.
select name, output, attempt from agent_runtime.get_checkpoints(:second_step_id, :'second_lease_token');

-- Saving the name again changes nothing: the first write wins, and its output is returned.
select agent_runtime.save_checkpoint(:second_step_id, :'second_lease_token', 'outline', '{"points": ["something else"]}') as kept;

-- The old worker, if it wakes up, is refused (AR020) and writes nothing. (psql does not
-- substitute variables inside $$ quotes: the DO block reads them from settings.)
\o /dev/null
select set_config('durable_run.step_id', :'first_step_id', false), set_config('durable_run.lease_token', :'first_lease_token', false);
\o
do $$
begin
  perform agent_runtime.append_output(current_setting('durable_run.step_id')::bigint,
    current_setting('durable_run.lease_token')::uuid, 'article', '"too late"');
  raise exception 'the stale run was not refused';
exception when sqlstate 'AR020' then
  raise notice 'the stale run is refused: %', sqlerrm;
end
$$;

-- Attempt 2 streams the article; last => true closes it, and it becomes an artifact of the task.
select agent_runtime.append_output(:second_step_id, :'second_lease_token', 'article', '"Durable runs keep their checkpoints, "') as seq;
select agent_runtime.append_output(:second_step_id, :'second_lease_token', 'article', '"stream their output and survive retries."', true) as seq;

select agent_runtime.complete_step(:second_step_id, :'second_lease_token',
  (select jsonb_build_object('outline', output) from agent_runtime.get_checkpoints(:second_step_id, :'second_lease_token')
   where name = 'outline')) as outcome;

-- A reader sees every chunk in order, each with the attempt that appended it: attempt 1's chunk
-- stays, and attempt 2 started its text again. A reader that reconnects passes the last seq it read.
select seq, artifact, chunk, attempt, last from agent_runtime.read_output(:'task_id');
select seq, chunk from agent_runtime.read_output(:'task_id', after_seq => 2);

\x on
select task_id, status, attempts, output from agent_runtime.get_task(:'task_id');
\x off
