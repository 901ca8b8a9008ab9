-- A whole workflow from psql, no .NET: define it, start it, be its workers in plain SQL, and
-- send the event it waits for. Run against a migrated database:
--   psql -v ON_ERROR_STOP=1 -f examples/workflow.sql
-- The workflow: split a text into sentences; then, in parallel, shout every sentence (a map:
-- one step per sentence) and count the words; wait for an approval event; publish only when
-- the approval says so. docs/workflows.md explains each part.
\set QUIET on
\pset footer off

-- The agents: names of capabilities. Here the workers are the SQL statements below.
\o /dev/null
select agent_runtime.register_agent('sql_split', 'Splits a text into sentences');
select agent_runtime.register_agent('sql_shout', 'Upper-cases a sentence');
select agent_runtime.register_agent('sql_count', 'Counts the words of sentences');
select agent_runtime.register_agent('sql_publish', 'Publishes a document');
\o

select agent_runtime.define_workflow('shout_document', $json$
{
  "steps": [
    {"key": "split", "agent": "sql_split", "input": {"text": {"$ref": "input.text"}}},
    {"key": "shout", "agent": "sql_shout", "depends_on": ["split"],
     "map": {"$ref": "steps.split.output.sentences"},
     "input": {"sentence": {"$ref": "item"}, "position": {"$ref": "index"}}},
    {"key": "count", "agent": "sql_count", "depends_on": ["split"],
     "input": {"sentences": {"$ref": "steps.split.output.sentences"}}},
    {"key": "approval", "depends_on": ["shout", "count"], "wait_for": {"$ref": "input.approval_event"}, "timeout": 86400},
    {"key": "publish", "agent": "sql_publish", "depends_on": ["approval"],
     "when": {"equals": [{"$ref": "steps.approval.output.decision"}, "publish"]},
     "input": {"lines": {"$ref": "steps.shout.output"}, "by": {"$ref": "steps.approval.output.by"}}}
  ],
  "output": {"lines": {"$ref": "steps.shout.output"}, "words": {"$ref": "steps.count.output.words"},
             "published": {"$ref": "steps.publish.output.url"}}
}
$json$, 'Shouts every sentence of a document, once approved') as version \gset
\echo defined shout_document version :version

select task_id from agent_runtime.submit_task('shout_document',
  '{"text": "Postgres is the runtime. Steps are rows. Workers are queries.", "approval_event": "approve-doc-42"}') \gset
\echo submitted :task_id

-- Worker of sql_split: claim what is ready, do the work in SQL, report it with the lease token.
select c.step_key, agent_runtime.complete_step(c.step_id, c.lease_token,
         jsonb_build_object('sentences', to_jsonb(array(
           select trim(s) from regexp_split_to_table(c.input ->> 'text', '[.!?]') as s where trim(s) <> ''))))
       as outcome
from agent_runtime.claim_step('psql-worker', array['sql_split'], 10, 30) as c;

-- Split completed, so shout's three elements and count are ready: two workers' worth of steps.
select c.step_key, c.input, agent_runtime.complete_step(c.step_id, c.lease_token,
         to_jsonb(upper(c.input ->> 'sentence') || '!')) as outcome
from agent_runtime.claim_step('psql-worker', array['sql_shout'], 10, 30) as c
order by c.step_key;

select c.step_key, agent_runtime.complete_step(c.step_id, c.lease_token,
         jsonb_build_object('words', (select sum(array_length(regexp_split_to_array(trim(s #>> '{}'), '\s+'), 1))
                                      from jsonb_array_elements(c.input -> 'sentences') as s))) as outcome
from agent_runtime.claim_step('psql-worker', array['sql_count'], 10, 30) as c;

-- The task now waits for its approval (a durable event; emitting it before would have worked too).
select key, status, wait_event from agent_runtime.steps where task_id = :'task_id' and map_parent_id is null order by id;

-- Anyone may send it; the first payload wins, and the waiting step completes in this transaction.
select agent_runtime.emit_event('approve-doc-42', '{"decision": "publish", "by": "ada"}') as stored_payload;

select c.step_key, c.input, agent_runtime.complete_step(c.step_id, c.lease_token,
         jsonb_build_object('url', 'https://example.invalid/docs/42', 'by', c.input ->> 'by')) as outcome
from agent_runtime.claim_step('psql-worker', array['sql_publish'], 10, 30) as c;

-- The task is completed: its output is the definition's output template, resolved.
\x on
select task_id, target, workflow_version, status, output from agent_runtime.get_task(:'task_id');
\x off

-- Every transition is an event: the log reads as the flow.
select e.type, s.key, e.data from agent_runtime.events e left join agent_runtime.steps s on s.id = e.step_id
where e.task_id = :'task_id' order by e.id;
