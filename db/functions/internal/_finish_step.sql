-- Ends one step that no lease holds (a decision of the workflow, not a worker's report):
-- completed with output, skipped, failed with detail as its error, or canceled, with its event
-- (detail as its data; for failed, {"error": detail}).
create or replace function agent_runtime._finish_step(step_id bigint, status text, output jsonb, detail jsonb)
returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  with finished as (
    update agent_runtime.steps s
    set status = _finish_step.status,
        output = case when _finish_step.status = 'completed' then _finish_step.output else s.output end,
        error = case when _finish_step.status = 'failed' then detail else s.error end,
        lease_expires_at = null, wait_reason = null, wait_event = null, resume_at = null,
        completed_at = now(), updated_at = now()
    where s.id = _finish_step.step_id
    returning s.id, s.task_id
  )
  insert into agent_runtime.events (type, task_id, step_id, data)
  select 'step.' || _finish_step.status, f.task_id, f.id,
         case when _finish_step.status = 'failed' then jsonb_build_object('error', detail) else coalesce(detail, '{}'::jsonb) end
  from finished f;
end
$$;
