-- The effects a step completes with (complete_steps): an object with an optional
-- "state_delta" (see _check_state_delta), optional "messages" (an array of messages, see
-- _message_event), optional "spawn" (child tasks: an array of {"target", "input",
-- "options"}, 1 to 1000, targets registered) with "allow_failures" (a boolean), and optional
-- "artifacts" (1 to 100 files saved to the task's session, see _effect_artifact), and optional
-- "memories" (at most 1000 memories of the task's user, see _effect_memory). Checked in full
-- before complete_steps writes anything. Artifacts and memories have size limits of their own
-- (10 MiB a file; 64 KiB of text and of metadata a memory), so the 4 MiB limit of effects applies
-- to the rest: a thousand memories with their embeddings would not fit in it.
create or replace function agent_runtime._check_effects(effects jsonb, what text)
returns void
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_messages jsonb;
  v_message record;
  v_spawn jsonb;
  v_child record;
  v_artifacts jsonb;
  v_artifact record;
  v_memories jsonb;
  v_memory record;
begin
  perform agent_runtime._check_json(effects, what);
  perform agent_runtime._check_object(effects, what);
  perform agent_runtime._check_keys(effects, array['state_delta', 'messages', 'spawn', 'allow_failures', 'artifacts', 'memories'], format('keys of %s', what));
  perform agent_runtime._check_size(effects - 'artifacts' - 'memories', what, 4194304);
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
  v_spawn := nullif(effects -> 'spawn', 'null'::jsonb);
  if v_spawn is not null then
    if jsonb_typeof(v_spawn) <> 'array' or jsonb_array_length(v_spawn) not between 1 and 1000 then
      raise exception using errcode = 'AR001',
        message = format('%s "spawn" must be an array of 1 to 1000 child tasks', what),
        hint = 'Pass e.g. [{"target": "summarize", "input": {"text": "..."}, "options": {}}].';
    end if;
    for v_child in select c.value, c.ord from jsonb_array_elements(v_spawn) with ordinality as c(value, ord) loop
      perform agent_runtime._check_object(v_child.value, format('%s spawn %s', what, v_child.ord));
      perform agent_runtime._check_keys(v_child.value, array['target', 'input', 'options'], format('keys of %s spawn %s', what, v_child.ord));
      if jsonb_typeof(v_child.value -> 'target') is distinct from 'string'
         or not exists (select from agent_runtime.agents g where g.name = v_child.value ->> 'target')
            and not exists (select from agent_runtime.workflows w where w.name = v_child.value ->> 'target') then
        raise exception using errcode = 'AR010',
          message = format('%s spawn %s: unknown target %s', what, v_child.ord, agent_runtime._quote(coalesce(v_child.value -> 'target', 'null'::jsonb)::text)),
          hint = 'Spawn registered agents or workflows.';
      end if;
      if v_child.value ? 'options' then
        perform agent_runtime._task_options(array[v_child.value -> 'options']);
        -- an existing task of that key would be returned instead of a child, and the step would
        -- wait for a child that never reports to it
        if nullif(v_child.value -> 'options' -> 'idempotency_key', 'null'::jsonb) is not null then
          raise exception using errcode = 'AR003',
            message = format('%s spawn %s: idempotency_key is not an option of a spawned task', what, v_child.ord),
            hint = 'A step spawns once (its completion is fenced by its lease): leave idempotency_key out.';
        end if;
      end if;
    end loop;
  end if;
  v_artifacts := nullif(effects -> 'artifacts', 'null'::jsonb);
  if v_artifacts is not null then
    if jsonb_typeof(v_artifacts) <> 'array' or jsonb_array_length(v_artifacts) not between 1 and 100 then
      raise exception using errcode = 'AR001',
        message = format('%s "artifacts" must be an array of 1 to 100 files', what),
        hint = 'Pass e.g. [{"filename": "report.md", "mime_type": "text/markdown", "text": "..."}].';
    end if;
    for v_artifact in select a.value, a.ord from jsonb_array_elements(v_artifacts) with ordinality as a(value, ord) loop
      perform agent_runtime._effect_artifact(v_artifact.value, format('%s artifact %s', what, v_artifact.ord));
    end loop;
  end if;
  v_memories := nullif(effects -> 'memories', 'null'::jsonb);
  if v_memories is not null then
    if jsonb_typeof(v_memories) <> 'array' then
      raise exception using errcode = 'AR001',
        message = format('%s "memories" must be a JSON array, got %s', what, jsonb_typeof(v_memories)),
        hint = 'Pass e.g. [{"text": "prefers window seats", "embedding": [...], "metadata": {}}].';
    end if;
    if jsonb_array_length(v_memories) > 1000 then
      raise exception using errcode = 'AR002',
        message = format('%s "memories" has %s memories, over the limit of 1000', what, jsonb_array_length(v_memories)),
        hint = 'One completion adds at most 1000 memories: add the rest with later completions.';
    end if;
    for v_memory in select m.value, m.ord from jsonb_array_elements(v_memories) with ordinality as m(value, ord) loop
      perform agent_runtime._effect_memory(v_memory.value, format('%s memory %s', what, v_memory.ord));
    end loop;
  end if;
  if effects ? 'allow_failures' and jsonb_typeof(effects -> 'allow_failures') <> 'boolean' then
    raise exception using errcode = 'AR001',
      message = format('%s "allow_failures" must be true or false', what),
      hint = 'With "allow_failures": true, a failed child gives null in the output instead of failing the step.';
  end if;
end
$$;
