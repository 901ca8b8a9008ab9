-- A task with its steps (key, agent, status, attempts, output, error, dependencies, map
-- element index), newest state, the workflow version it runs (NULL for an agent task), the step
-- that spawned it (parent_step_id) and the children its steps spawned ([{task_id, step_id,
-- target, status}], oldest first), its history: the task's messages (the events of its
-- session linked to it that have content), oldest first, each as get_session returns events;
-- history_length keeps only the newest N (0: none; NULL: all). Each step lists its checkpoints
-- ({name, attempt, size_bytes, created_at}, oldest first: their outputs can be large, and are
-- the running step's to read, get_checkpoints); streamed_output sums up the streamed output
-- ({last_seq, artifacts: [{artifact, step_id, attempt, chunks, size_bytes, first_seq, last_seq,
-- last}]}, each artifact's latest run per step; NULL when none), whose chunks read_output reads;
-- usage (record_usage): {"calls", "input_tokens", "output_tokens", "total_tokens", "max_tokens",
-- "models": [{"model", "calls", "input_tokens", "output_tokens"}, ... by model]}, over all its
-- steps, attempts and runs.
create or replace function agent_runtime.get_task(task_id uuid, history_length integer default null)
returns agent_runtime.task_details
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_task agent_runtime.task_details;
begin
  if get_task.task_id is null then
    raise exception using errcode = 'AR001',
      message = 'task_id is required',
      hint = 'Pass the task_id returned by submit_task.';
  end if;
  if get_task.history_length < 0 then
    raise exception using errcode = 'AR001',
      message = format('history_length must be 0 or more, got %s', get_task.history_length),
      hint = 'Pass NULL for the whole history, or the number of newest messages to return.';
  end if;

  select t.id, t.session_id, t.target, t.status, t.input, t.output, t.error, t.queue, t.priority,
         coalesce(st.attempts, 0), t.max_attempts, t.metadata, t.app_name, t.user_id, t.idempotency_key, t.cancel_reason,
         t.status_message,
         t.created_at, t.updated_at, t.completed_at, coalesce(st.steps, '[]'::jsonb),
         (select coalesce(jsonb_agg(h.event order by h.sequence), '[]'::jsonb)
          from (select e.sequence,
                       jsonb_build_object('timestamp', extract(epoch from e.created_at)::double precision)
                         || e.event || jsonb_build_object('sequence', e.sequence) as event
                from agent_runtime.session_events e
                where e.task_id = t.id and e.content is not null
                order by e.sequence desc
                limit get_task.history_length) as h),
         t.workflow_version, t.parent_step_id,
         (select coalesce(jsonb_agg(jsonb_build_object('task_id', c.id, 'step_id', c.parent_step_id,
                                                       'target', c.target, 'status', c.status)
                                    order by c.created_at, c.parent_step_id, c.spawn_index), '[]'::jsonb)
          from agent_runtime.tasks c
          where c.parent_step_id in (select s.id from agent_runtime.steps s where s.task_id = t.id)),
         (select jsonb_build_object(
                   'last_seq', h.last_seq,
                   'artifacts', (select jsonb_agg(jsonb_build_object(
                                          'artifact', o.artifact, 'step_id', o.step_id, 'attempt', o.attempt,
                                          'chunks', o.chunks, 'size_bytes', o.bytes, 'first_seq', o.first_seq,
                                          'last_seq', o.last_seq, 'last', o.ended) order by o.first_seq, o.step_id)
                                 from agent_runtime.output_streams o
                                 where o.task_id = t.id))
          from agent_runtime.output_heads h
          where h.task_id = t.id),
         (select jsonb_build_object('calls', coalesce(sum(m.calls), 0), 'input_tokens', coalesce(sum(m.input_tokens), 0),
                                    'output_tokens', coalesce(sum(m.output_tokens), 0),
                                    'total_tokens', coalesce(sum(m.input_tokens + m.output_tokens), 0),
                                    'max_tokens', t.max_tokens,
                                    'models', coalesce(jsonb_agg(jsonb_build_object('model', m.model, 'calls', m.calls,
                                                                                    'input_tokens', m.input_tokens,
                                                                                    'output_tokens', m.output_tokens)
                                                                 order by m.model), '[]'::jsonb))
          from (select u.model, sum(u.calls) as calls, sum(u.input_tokens) as input_tokens, sum(u.output_tokens) as output_tokens
                from agent_runtime.step_usage u
                where u.task_id = t.id
                group by u.model) m)
  into v_task
  from agent_runtime.tasks t
  left join lateral (
    select max(s.attempt) as attempts,
           jsonb_agg(jsonb_build_object(
             'step_id', s.id, 'key', s.key, 'agent', s.agent, 'status', s.status,
             'depends_on', to_jsonb(s.depends_on), 'attempt', s.attempt, 'max_attempts', s.max_attempts,
             'output', s.output, 'map_index', s.map_index, 'wait_event', s.wait_event,
             'run_at', s.run_at, 'leased_by', s.leased_by, 'lease_expires_at', s.lease_expires_at,
             'cancel_requested', s.cancel_requested, 'error', s.error,
             'wait_reason', s.wait_reason, 'resume_at', s.resume_at,
             'started_at', s.started_at, 'completed_at', s.completed_at,
             'checkpoints', (select coalesce(jsonb_agg(jsonb_build_object('name', c.name, 'attempt', c.attempt,
                                                                          'size_bytes', c.size_bytes, 'created_at', c.created_at)
                                                       order by c.created_at, c.name), '[]'::jsonb)
                             from agent_runtime.step_checkpoints c
                             where c.step_id = s.id)) order by s.id) as steps
    from agent_runtime.steps s
    where s.task_id = t.id
  ) st on true
  where t.id = get_task.task_id
    and agent_runtime._app_visible(agent_runtime._caller_apps(), t.app_name);

  if v_task.task_id is null then
    perform agent_runtime._raise_task_not_found(get_task.task_id);
  end if;
  return v_task;
end
$$;
