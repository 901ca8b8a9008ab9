-- One step of a workflow definition (_check_workflow_definition), on its own (whether its
-- depends_on keys exist is checked for every step at once there), every error naming it. Its
-- templates and condition nest at most 64 levels: _check_condition, _condition_holds and
-- _resolve_template follow them by recursion, which a few hundred levels would take past the
-- stack (54001), at definition or, worse, in the callback that makes the step ready.
create or replace function agent_runtime._check_workflow_step(step jsonb)
returns void
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_key text := step ->> 'key';
  v_unknown text;
  v_limit record;
begin
  select k into v_unknown
  from jsonb_object_keys(step) as k
  where k not in ('key', 'agent', 'depends_on', 'input', 'max_attempts', 'backoff_seconds',
                  'max_backoff_seconds', 'timeout', 'when', 'map', 'wait_for')
  order by k limit 1;
  if found then
    raise exception using errcode = 'AR080',
      message = format('step %s has an unknown option %s', v_key, agent_runtime._quote(v_unknown)),
      hint = 'Step options: key, agent, depends_on, input, when, map, wait_for, max_attempts, backoff_seconds, max_backoff_seconds, timeout.';
  end if;

  if step ? 'wait_for' then
    if step ? 'agent' or step ? 'map' or step ? 'input' then
      raise exception using errcode = 'AR080',
        message = format('step %s waits for an event and cannot also have an agent, a map or an input', v_key),
        hint = 'A wait_for step has no agent: it completes with the event''s payload.';
    end if;
    if not agent_runtime._is_reference(step -> 'wait_for')
       and not (jsonb_typeof(step -> 'wait_for') = 'string' and length(step ->> 'wait_for') between 1 and 256
                and step ->> 'wait_for' !~ '[[:cntrl:]]') then
      raise exception using errcode = 'AR080',
        message = format('step %s: "wait_for" must be an event name or a reference, {"$ref": "..."}', v_key),
        hint = 'E.g. "wait_for": "order-paid", or "wait_for": {"$ref": "input.event"}; names have 1 to 256 characters, no control characters.';
    end if;
  elsif jsonb_typeof(step -> 'agent') is distinct from 'string' then
    raise exception using errcode = 'AR080',
      message = format('step %s needs an "agent" (or a "wait_for")', v_key),
      hint = 'Name a registered agent, e.g. "agent": "summarize".';
  elsif not exists (select from agent_runtime.agents g where g.name = step ->> 'agent') then
    raise exception using errcode = 'AR010',
      message = format('step %s: unknown agent %s', v_key, agent_runtime._quote(step ->> 'agent')),
      hint = 'Register the agent with register_agent before defining the workflow.';
  end if;

  if step ? 'depends_on' then
    if jsonb_typeof(step -> 'depends_on') <> 'array'
       or exists (select from jsonb_array_elements(step -> 'depends_on') as d where jsonb_typeof(d) <> 'string') then
      raise exception using errcode = 'AR080',
        message = format('step %s: "depends_on" must be an array of step keys', v_key),
        hint = 'E.g. "depends_on": ["summarize"].';
    end if;
  end if;

  for v_limit in
    select * from (values ('max_attempts', 1, 1000, true), ('backoff_seconds', 0, 86400, false),
                          ('max_backoff_seconds', 0, 604800, false), ('timeout', 1, 604800, true))
      as l(name, low, high, whole)
  loop
    continue when not step ? v_limit.name;
    if jsonb_typeof(step -> v_limit.name) <> 'number'
       or (step ->> v_limit.name)::numeric not between v_limit.low and v_limit.high
       or (v_limit.whole and (step ->> v_limit.name)::numeric <> trunc((step ->> v_limit.name)::numeric)) then
      raise exception using errcode = 'AR080',
        message = format('step %s: "%s" must be %s from %s to %s, got %s', v_key, v_limit.name,
                         case when v_limit.whole then 'an integer' else 'a number' end, v_limit.low, v_limit.high,
                         agent_runtime._quote((step -> v_limit.name)::text)),
        hint = 'Fix the value in the step.';
    end if;
  end loop;

  if step ? 'map' and not agent_runtime._is_reference(step -> 'map') then
    raise exception using errcode = 'AR080',
      message = format('step %s: "map" must be a reference, {"$ref": "..."}', v_key),
      hint = 'E.g. "map": {"$ref": "input.documents"}; the step runs once per element.';
  end if;
  if step ? 'when' then
    perform agent_runtime._check_condition(step -> 'when', format('step %s: "when"', v_key));
  end if;
end
$$;
