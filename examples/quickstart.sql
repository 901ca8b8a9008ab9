-- AgentRuntime from psql: one task through its whole life, no host needed.
-- Run against a migrated database:  psql -v ON_ERROR_STOP=1 -f examples/quickstart.sql
\set QUIET on
\pset footer off

-- An agent is a named capability; a worker is whatever process runs it (here: you).
\o /dev/null
select agent_runtime.register_agent('summarize', 'Summarizes text', '{"type":"object","required":["text"]}');
\o

-- Submit a task. It gets a session (A2A context) and waits for a worker.
select task_id, session_id, status
from agent_runtime.submit_task('summarize', '{"text":"PostgreSQL is the runtime. Functions own every transition."}') \gset
\echo submitted :task_id

-- A worker claims it: the lease token proves who may report the result.
select step_id, lease_token, attempt, input
from agent_runtime.claim_step('worker-1', array['summarize'], 1, 30) \gset
\echo claimed step :step_id attempt :attempt with lease :lease_token

-- ... the agent runs ... then reports its output with the same token.
select agent_runtime.complete_step(:step_id, :'lease_token', '{"summary":"Postgres runs the agents."}') as outcome;

-- The task is completed, with its output and its steps.
\x on
select task_id, status, output, attempts, created_at, completed_at from agent_runtime.get_task(:'task_id');
\x off

-- Every transition is an event.
select id, type, step_id, worker_id, data from agent_runtime.events where task_id = :'task_id' order by id;
