-- The task in the shape of the A2A protocol's Task object, as an A2A server returns it for
-- tasks/get: status {state, message, timestamp}, history as A2A Messages, artifacts, metadata.
-- The status message is what an input-required or auth-required task waits for, or the error
-- of a failed or rejected one. Artifacts: the output of a completed task, then the files its
-- steps saved through their effects (_task_artifacts).
create or replace function agent_runtime.get_a2a_task(task_id uuid, history_length integer default null)
returns jsonb
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_task agent_runtime.task_details;
  v_status_data jsonb;
begin
  -- GUARD: get_task checks the arguments (AR001) and that the task exists (AR011).
  v_task := agent_runtime.get_task(get_a2a_task.task_id, get_a2a_task.history_length);

  v_status_data := coalesce(v_task.status_message,
                            case when v_task.status in ('failed', 'rejected') then v_task.error end);
  return jsonb_build_object(
    'kind', 'task',
    'id', v_task.task_id,
    'contextId', v_task.session_id,
    'status', jsonb_build_object(
                'state', v_task.status,
                'timestamp', to_char(v_task.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
              || case when v_status_data is null then '{}'::jsonb
                      else jsonb_build_object('message', jsonb_build_object(
                             'kind', 'message',
                             'messageId', format('%s:status:%s', v_task.task_id, extract(epoch from v_task.updated_at)),
                             'role', 'agent',
                             'parts', jsonb_build_array(jsonb_build_object('kind', 'data', 'data', v_status_data)),
                             'taskId', v_task.task_id,
                             'contextId', v_task.session_id)) end,
    'history', (
      select coalesce(jsonb_agg(jsonb_build_object(
               'kind', 'message',
               'messageId', coalesce(h.event -> 'content' ->> 'messageId', format('%s:%s', v_task.session_id, h.event ->> 'sequence')),
               'role', case when coalesce(h.event -> 'content' ->> 'role', h.event ->> 'role') = 'user' then 'user' else 'agent' end,
               'parts', coalesce(h.event -> 'content' -> 'parts', '[]'::jsonb),
               'taskId', v_task.task_id,
               'contextId', v_task.session_id) order by h.ord), '[]'::jsonb)
      from jsonb_array_elements(v_task.history) with ordinality as h(event, ord)),
    'artifacts', case when v_task.status = 'completed' then jsonb_build_array(jsonb_build_object(
                   'artifactId', format('%s:output', v_task.task_id),
                   'name', 'output',
                   'parts', jsonb_build_array(jsonb_build_object('kind', 'data', 'data', v_task.output))))
                 else '[]'::jsonb end
                 || agent_runtime._task_artifacts(v_task.task_id, v_task.session_id),
    'metadata', v_task.metadata);
end
$$;
