-- A human-in-the-loop task driven by hand from psql. A worker must be running
-- (scripts/agent-runtime run): its echo agent asks the question, waits, and answers with your reply.
--   psql -v ON_ERROR_STOP=1 -f examples/human-in-the-loop.sql
\set QUIET on
\pset footer off

select task_id from agent_runtime.submit_task('echo', '{"ask": "Which city should the trip go to?"}') \gset
select set_config('hitl.task_id', :'task_id', false) \gset
\echo submitted :task_id, waiting for the agent to ask

-- psql has no loops: wait in a DO block (each statement in it sees the latest commits).
do $$
declare
  v_status text;
begin
  for i in 1..600 loop
    select t.status into v_status from agent_runtime.get_task(current_setting('hitl.task_id')::uuid) t;
    exit when v_status not in ('submitted', 'working');
    perform pg_sleep(0.1);
  end loop;
end
$$;

-- The task waits for input, and says what for.
select status, status_message ->> 'question' as question from agent_runtime.get_task(:'task_id');

-- The human answers.
select sequence from agent_runtime.send_message(:'task_id', '{"role": "user", "parts": [{"kind": "text", "text": "Lisbon"}]}') \gset
\echo answered (session event :sequence), waiting for the agent to finish

do $$
declare
  v_status text;
begin
  for i in 1..600 loop
    select t.status into v_status from agent_runtime.get_task(current_setting('hitl.task_id')::uuid) t;
    exit when v_status in ('completed', 'failed', 'canceled', 'rejected');
    perform pg_sleep(0.1);
  end loop;
end
$$;

select status, output ->> 'answer' as answer from agent_runtime.get_task(:'task_id');

-- The conversation: the input, the question as a status change, the answer.
select type, data from agent_runtime.read_events(from_start => true, max_events => 100, task_id => :'task_id')
where type like 'task.%' order by id;
