-- What a worker's report (complete, fail, release) of a step that is no longer running under its
-- lease comes to; the batch callbacks return it per step, the single ones raise for not_found and
-- stale_lease (_raise_callback_rejection):
--   not_found, stale_lease    no such step; the token is not the step's current lease
--   canceled                  the task was canceled or failed meanwhile
--   duplicate                 this lease already made this report
--   already_<what>            this lease already ended otherwise (completed, failed, ...)
create or replace function agent_runtime._report_outcome(report text, step agent_runtime._leased_step)
returns text
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if step.status is null then
    return 'not_found';
  elsif not step.token_ok then
    return 'stale_lease';
  elsif step.status = 'canceled' then
    return 'canceled';
  elsif report = 'complete' then
    return case when step.status = 'completed' or (step.status = 'waiting' and step.wait_reason = 'children')
                then 'duplicate' else 'already_failed' end;
  elsif report = 'fail' then
    return case when step.status in ('failed', 'ready') then 'duplicate' else 'already_completed' end;
  end if;
  return 'already_' || step.status;
end
$$;
