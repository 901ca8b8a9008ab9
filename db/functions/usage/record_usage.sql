-- Records the usage of one model call (model, input and output tokens) of a running step, for
-- its current attempt: get_task shows the totals. The call adds to the step attempt's row of the
-- model. Returns one row: the outcome, the task's tokens (input + output, all its steps, attempts
-- and runs, this call included) and its max_tokens (NULL: no budget):
--   recorded         keep going
--   budget_exceeded  the task's tokens passed its max_tokens: the usage is recorded, the step
--                    and its task failed for good with error {"code": "token_budget_exceeded",
--                    "sqlstate": "AR100", "message", "hint", "task_tokens", "max_tokens"}; the
--                    lease is gone, stop the run
--   canceled         the task was canceled (or failed) meanwhile: the usage is recorded, the run
--                    ended as canceled (_lock_leased_step); stop it
-- The step's queue, when it has the option tokens_per_minute, pays the tokens from its bucket
-- (_model_tokens), below zero if need be: claims from the queue wait until it holds tokens again.
-- Errors (nothing written): step_id or lease_token NULL, a model that is not 1-256 characters
-- without control characters, tokens NULL or negative: AR001; no such step, or a step of another
-- tenant's task: AR012; a token that is not the step's current lease, or a run that ended under
-- it otherwise (completed, failed, yielded, retrying): AR020.
--
-- Calls of parallel steps of one task at the same moment each count what was committed before
-- them: such calls may together pass max_tokens unnoticed, and the next call fails the task. The
-- check takes no lock beyond the step's (locking the task would deadlock with a stop that locks
-- the task's steps). Locks the step, then (failing for good) the task's steps and the task, then
-- the queue's row.
create or replace function agent_runtime.record_usage(
  step_id bigint,
  lease_token uuid,
  model text,
  input_tokens integer,
  output_tokens integer)
returns table (outcome text, task_tokens bigint, max_tokens integer)
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_step agent_runtime.steps;
  v_tokens bigint := record_usage.input_tokens::bigint + record_usage.output_tokens;
  v_total bigint;
  v_max integer;
  v_outcome text := 'recorded';
begin
  -- GUARD
  perform agent_runtime._check_identifier(record_usage.model, 'model');
  if record_usage.input_tokens is null or record_usage.output_tokens is null
     or record_usage.input_tokens < 0 or record_usage.output_tokens < 0 then
    raise exception using errcode = 'AR001',
      message = format('input_tokens and output_tokens must be 0 or more, got %s and %s',
                       coalesce(record_usage.input_tokens::text, 'NULL'), coalesce(record_usage.output_tokens::text, 'NULL')),
      hint = 'Pass the token counts the model reported for this call.';
  end if;
  -- the tenant rule: a step of another tenant's task looks like one that does not exist
  if record_usage.step_id is not null
     and not exists (select from agent_runtime.steps s join agent_runtime.tasks t on t.id = s.task_id
                     where s.id = record_usage.step_id
                       and agent_runtime._app_visible(agent_runtime._caller_apps(), t.app_name)) then
    perform agent_runtime._raise_callback_rejection(record_usage.step_id, 'not_found');
  end if;

  -- LOCK the step (AR001, AR012, AR020; a run whose task was canceled meanwhile ends as canceled)
  v_step := agent_runtime._lock_leased_step(record_usage.step_id, record_usage.lease_token);
  if v_step.status not in ('running', 'canceled') then
    raise exception using errcode = 'AR020',
      message = format('step %s is %s: its run under this lease has ended', v_step.id, v_step.status),
      hint = 'Record a call''s usage while the run goes on, before its result is reported.';
  end if;

  -- MUTATE: the usage of this attempt, then the budget
  insert into agent_runtime.step_usage as u (step_id, attempt, model, task_id, calls, input_tokens, output_tokens)
  values (v_step.id, v_step.attempt, record_usage.model, v_step.task_id, 1, record_usage.input_tokens, record_usage.output_tokens)
  on conflict on constraint step_usage_pkey do update
  set calls = u.calls + 1, input_tokens = u.input_tokens + excluded.input_tokens,
      output_tokens = u.output_tokens + excluded.output_tokens, updated_at = now();
  select t.max_tokens, (select sum(u.input_tokens + u.output_tokens) from agent_runtime.step_usage u where u.task_id = t.id)
    into v_max, v_total
  from agent_runtime.tasks t
  where t.id = v_step.task_id;

  if v_step.status = 'canceled' then
    v_outcome := 'canceled';
  elsif v_total > v_max then
    v_outcome := 'budget_exceeded';
    perform agent_runtime._fail_runs(array[v_step.id], array[jsonb_build_object(
      'code', 'token_budget_exceeded', 'sqlstate', 'AR100',
      'message', format('the task used %s tokens, over its max_tokens of %s', v_total, v_max),
      'hint', 'Submit the work anew with a larger max_tokens: the tokens a task used count in every run of it, retry_task''s too.',
      'task_tokens', v_total, 'max_tokens', v_max)], null);
  end if;

  -- MUTATE: the queue's bucket of model tokens, when it has one
  update agent_runtime.queues q
  set model_tokens = agent_runtime._model_tokens(q.tokens_per_minute, q.model_tokens, q.model_tokens_at) - v_tokens,
      model_tokens_at = now()
  where q.name = v_step.queue and q.tokens_per_minute is not null;

  return query select v_outcome, v_total, v_max;
end
$$;
