-- A step that a worker's report (or its expired lease) failed for good fails its task
-- (_fail_step), which locks every step of the task. Two steps of one workflow task failing in
-- two transactions at the same moment each hold their own step and wait for the other's: one of
-- them gets a deadlock. Here that one waits for the other to commit and tries again, in a
-- subtransaction of its own, so the deadlock never reaches the worker (its step is failed
-- already; only the task's stop is redone). Taken only for steps that fail for good.
create or replace function agent_runtime._fail_step_retrying(step_id bigint)
returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_attempt integer := 0;
begin
  loop
    begin
      perform agent_runtime._fail_step(step_id, (select s.error from agent_runtime.steps s where s.id = _fail_step_retrying.step_id));
      return;
    exception when deadlock_detected then
      v_attempt := v_attempt + 1;
      if v_attempt >= 5 then
        raise;
      end if;
    end;
  end loop;
end
$$;
