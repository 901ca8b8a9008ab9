-- Commits a completed step's effects (checked by _check_effects), in the transaction of the
-- completion: the state_delta like append_event's (scoped by prefix, "temp:" never stored, null
-- deletes), recorded in the actions of the step's last message event (or of an event of its own);
-- the messages appended to the task's session, linked to the task (author: the agent unless
-- given); and the children in "spawn", submitted with the parent's app and user (the step then
-- waits for them, see complete_steps); the "artifacts", saved to the task's session (or its
-- user's, for "user:" filenames) as save_artifact does, each version linked to the task; the
-- "memories", added to the memory of the task's user in the task's app as add_memory does, each
-- event memory.added linked to the task and step. Locks
-- the task's session, after the steps and the task, then the artifacts' filenames (in name
-- order) and content (in hash order), the order of save_artifact and delete_artifact.
create or replace function agent_runtime._apply_effects(step_id bigint, effects jsonb)
returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_step agent_runtime.steps;
  v_session agent_runtime.sessions;
  v_delta jsonb := nullif(effects -> 'state_delta', 'null'::jsonb);
  v_events jsonb;
  v_spawn jsonb := nullif(effects -> 'spawn', 'null'::jsonb);
  v_children uuid[];
  v_artifacts jsonb := nullif(effects -> 'artifacts', 'null'::jsonb);
  v_artifact record;
  v_next record;
  v_content bytea;
  v_owner agent_runtime.sessions;
  v_ids bigint[];
  v_versions integer[];
  v_contents bytea[];
  v_mime_types text[];
  v_metadata jsonb[];
  v_memory record;
begin
  select * into v_step from agent_runtime.steps s where s.id = _apply_effects.step_id;
  select coalesce(jsonb_agg(agent_runtime._message_event(m.message, 'message', v_step.agent, 'agent') order by m.ord),
                  '[]'::jsonb)
    into v_events
  from jsonb_array_elements(coalesce(nullif(effects -> 'messages', 'null'::jsonb), '[]'::jsonb))
       with ordinality as m(message, ord);

  if v_delta is not null or jsonb_array_length(v_events) > 0 then
    select ss.* into v_session
    from agent_runtime.tasks t
    join agent_runtime.sessions ss on ss.id = t.session_id
    where t.id = v_step.task_id
    for update of ss;
    if v_delta is not null then
      perform agent_runtime._apply_state_delta(v_session.app_name, v_session.user_id, v_session.id, v_delta);
      -- "temp:" keys are never stored, not even in the event.
      v_delta := coalesce((select jsonb_object_agg(d.key, d.value) from jsonb_each(v_delta) as d
                           where d.key not like 'temp:%'), '{}'::jsonb);
      if jsonb_array_length(v_events) = 0 then
        v_events := jsonb_build_array(jsonb_build_object('author', v_step.agent));
      end if;
      v_events := jsonb_set(v_events, array[(jsonb_array_length(v_events) - 1)::text, 'actions'],
                            jsonb_build_object('state_delta', v_delta));
    end if;
    perform agent_runtime._append_task_events(v_session.id, v_step.task_id, v_events);
  end if;

  if v_artifacts is not null then
    select ss.* into v_owner
    from agent_runtime.tasks t
    join agent_runtime.sessions ss on ss.id = t.session_id
    where t.id = v_step.task_id;
    for v_artifact in
      select f.*
      from jsonb_array_elements(v_artifacts) with ordinality as a(value, ord)
      cross join agent_runtime._effect_artifact(a.value, 'artifact') as f
      order by f.filename, a.ord
    loop
      v_next := agent_runtime._next_artifact_version(v_owner.app_name, v_owner.user_id, v_owner.id, v_artifact.filename);
      v_ids := v_ids || v_next.artifact_id;
      v_versions := v_versions || v_next.version;
      v_contents := v_contents || v_artifact.content;
      v_mime_types := v_mime_types || v_artifact.mime_type;
      v_metadata := v_metadata || v_artifact.metadata;
    end loop;
    for v_content in
      select distinct on (sha256(c.content)) c.content from unnest(v_contents) as c(content) order by sha256(c.content)
    loop
      perform agent_runtime._store_artifact_content(v_content);
    end loop;
    for i in 1 .. cardinality(v_ids) loop
      perform agent_runtime._save_artifact_version(v_ids[i], v_versions[i], v_owner.id, sha256(v_contents[i]),
                                                   v_mime_types[i], v_metadata[i], v_step.task_id);
    end loop;
  end if;

  for v_memory in
    select t.app_name, t.user_id, f.*
    from jsonb_array_elements(coalesce(nullif(effects -> 'memories', 'null'::jsonb), '[]'::jsonb)) with ordinality as m(value, ord)
    cross join agent_runtime._effect_memory(m.value, 'memory') as f
    join agent_runtime.tasks t on t.id = v_step.task_id
    order by m.ord
  loop
    perform agent_runtime._store_memory(v_memory.app_name, v_memory.user_id, v_memory.content, v_memory.embedding,
                                        v_memory.metadata, v_step.task_id, v_step.id);
  end loop;

  if v_spawn is not null then
    select array_agg(c.task_id) into v_children
    from agent_runtime._submit_tasks(
      array(select coalesce(e.value ->> 'target', '') from jsonb_array_elements(v_spawn) with ordinality as e(value, ord) order by e.ord),
      array(select coalesce(e.value -> 'input', '{}'::jsonb) from jsonb_array_elements(v_spawn) with ordinality as e(value, ord) order by e.ord),
      null,
      array(select coalesce(e.value -> 'options', '{}'::jsonb) from jsonb_array_elements(v_spawn) with ordinality as e(value, ord) order by e.ord),
      v_step.id) as c;
    insert into agent_runtime.events (type, task_id, step_id, data)
    values ('task.spawned', v_step.task_id, v_step.id,
            jsonb_build_object('children', to_jsonb(v_children), 'allow_failures', coalesce((effects ->> 'allow_failures')::boolean, false)));
  end if;
end
$$;
