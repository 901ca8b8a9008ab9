-- One step of a workflow definition (_check_workflow_definition), on its own (whether its
-- depends_on keys exist is checked for every step at once there), every error naming it. Beside
-- its structure (key, agent, depends_on, input, when, map, wait_for) a step takes the step
-- options of option_catalog(); their errors (_check_options) become AR080 "step k: ...". Its
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
  v_parts text[] := array['key', 'agent', 'depends_on', 'input', 'when', 'map', 'wait_for'];
  v_options text[] := array(select c.name from agent_runtime.option_catalog() c where c.scope = 'step');
  v_unknown text;
  v_message text;
  v_hint text;
begin
  select k into v_unknown
  from jsonb_object_keys(step) as k
  where k <> all (v_parts || v_options)
  order by k limit 1;
  if found then
    raise exception using errcode = 'AR080',
      message = format('step %s has an unknown option %s', v_key, agent_runtime._quote(v_unknown)),
      hint = format('A step has %s, and the options %s.', array_to_string(v_parts, ', '), array_to_string(v_options, ', '));
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

  begin
    perform agent_runtime._check_options('step', array[step - v_parts]);
  exception when sqlstate 'AR001' or sqlstate 'AR002' then
    get stacked diagnostics v_message = message_text, v_hint = pg_exception_hint;
    raise exception using errcode = 'AR080', message = format('step %s: %s', v_key, v_message), hint = v_hint;
  end;

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
