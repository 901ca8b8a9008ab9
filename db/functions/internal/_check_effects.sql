-- The effects a step completes with (complete_steps): an object with an optional
-- "state_delta" (see check_state_delta) and optional "messages" (an array of messages, see
-- message_event). Checked in full before complete_steps writes anything.
create or replace function agent_runtime._check_effects(effects jsonb, what text)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_messages jsonb;
  v_message record;
begin
  perform agent_runtime._check_object(effects, what);
  perform agent_runtime._check_keys(effects, array['state_delta', 'messages'], format('keys of %s', what));
  perform agent_runtime._check_size(effects, what, 4194304);
  if nullif(effects -> 'state_delta', 'null'::jsonb) is not null then
    perform agent_runtime._check_state_delta(effects -> 'state_delta', format('%s "state_delta"', what));
    perform agent_runtime._check_size(effects -> 'state_delta', format('%s "state_delta"', what), 1048576);
  end if;
  v_messages := nullif(effects -> 'messages', 'null'::jsonb);
  if v_messages is not null then
    if jsonb_typeof(v_messages) <> 'array' then
      raise exception using errcode = 'AR001',
        message = format('%s "messages" must be a JSON array, got %s', what, jsonb_typeof(v_messages)),
        hint = 'Pass a list of messages, e.g. [{"role": "agent", "parts": [{"kind": "text", "text": "..."}]}].';
    end if;
    for v_message in select m.value, m.ord from jsonb_array_elements(v_messages) with ordinality as m(value, ord) loop
      perform agent_runtime._message_event(v_message.value, format('%s message %s', what, v_message.ord), '', 'agent');
    end loop;
  end if;
end
$$;
