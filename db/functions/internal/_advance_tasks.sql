-- Moves workflow tasks forward after steps finished: every pending step whose dependencies are
-- all finished (completed or skipped) is decided, until nothing more moves:
--   skipped    its dependencies were all skipped, or its "when" condition is false
--   completed  a map over an empty array (output []), or a wait whose event was already emitted
--              (output: the event's payload)
--   waiting    a map step whose elements (one ready step per element, but those kept from before
--              a retry_task) now run, or a wait for an event not emitted yet
--   ready      any other step, its input template resolved now (default: the task input)
--   failed     a map whose source is not an array, or a wait whose event name is not a string:
--              the task fails (_stop_tasks)
-- Then tasks whose steps all finished complete (_settle_tasks). The caller holds the tasks' rows
-- locked (after their steps), so concurrent completions of one task's last steps serialize and
-- the last one sees them all.
create or replace function agent_runtime._advance_tasks(task_ids uuid[])
returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_step agent_runtime.steps;
  v_task agent_runtime.tasks;
  v_context jsonb;
  v_context_of uuid;
  v_value jsonb;
  v_moved boolean;
  v_error jsonb;
begin
  loop
    v_moved := false;
    v_context_of := null;
    for v_step in
      select s.*
      from agent_runtime.steps s
      join agent_runtime.tasks t on t.id = s.task_id
      where s.task_id = any (task_ids)
        and s.status = 'pending'
        and t.status <> all (agent_runtime._finished_statuses())
        and not exists (select from agent_runtime.steps d
                        where d.task_id = s.task_id and d.map_parent_id is null and d.key = any (s.depends_on)
                          and d.status not in ('completed', 'skipped'))
      order by s.task_id, s.id
    loop
      -- a step decided earlier in this pass may have stopped the task (_stop_tasks skipped its
      -- pending steps): those rows of the pass are stale
      continue when not exists (select from agent_runtime.steps s
                                join agent_runtime.tasks t on t.id = s.task_id
                                where s.id = v_step.id and s.status = 'pending'
                                  and t.status <> all (agent_runtime._finished_statuses()));
      v_moved := true;
      if cardinality(v_step.depends_on) > 0
         and not exists (select from agent_runtime.steps d
                         where d.task_id = v_step.task_id and d.map_parent_id is null and d.key = any (v_step.depends_on)
                           and d.status = 'completed') then
        perform agent_runtime._finish_step(v_step.id, 'skipped', null, jsonb_build_object('reason', 'dependencies skipped'));
        continue;
      end if;
      -- Once per task and pass: what a pass decides is never an input of another step of the
      -- same pass (that one was still pending when the pass began).
      if v_context_of is distinct from v_step.task_id then
        v_context := agent_runtime._task_context(v_step.task_id);
        v_context_of := v_step.task_id;
      end if;
      if v_step.when_condition is not null and not agent_runtime._condition_holds(v_step.when_condition, v_context) then
        perform agent_runtime._finish_step(v_step.id, 'skipped', null, jsonb_build_object('reason', 'condition'));
        continue;
      end if;

      if v_step.map_source is not null then
        v_value := agent_runtime._resolve_template(v_step.map_source, v_context);
        if jsonb_typeof(v_value) is distinct from 'array' then
          v_error := jsonb_build_object('code', 'map_source_not_array',
            'message', format('the map of step %s resolved to %s, not an array', v_step.key, coalesce(jsonb_typeof(v_value), 'nothing')));
        elsif jsonb_array_length(v_value) > 10000 then
          v_error := jsonb_build_object('code', 'map_too_large',
            'message', format('the map of step %s has %s elements, over the limit of 10000', v_step.key, jsonb_array_length(v_value)));
        elsif jsonb_array_length(v_value) = 0 then
          perform agent_runtime._finish_step(v_step.id, 'completed', '[]'::jsonb, '{}'::jsonb);
          continue;
        else
          update agent_runtime.steps s
          set status = 'waiting', wait_reason = 'map', yielded_at = now(), updated_at = now()
          where s.id = v_step.id;
          with elements as (
            insert into agent_runtime.steps
              (task_id, key, agent, status, input, queue, priority, run_at, max_attempts, backoff_seconds,
               max_backoff_seconds, timeout_seconds, map_parent_id, map_index, fair_key, concurrency_key, concurrency_limit)
            select v_step.task_id, format('%s[%s]', v_step.key, e.ord - 1), v_step.agent, 'ready',
                   agent_runtime._resolve_template(coalesce(v_step.input_template, '{"$ref": "item"}'::jsonb),
                     v_context || jsonb_build_object('item', e.item, 'index', e.ord - 1)),
                   v_step.queue, v_step.priority, now(), v_step.max_attempts, v_step.backoff_seconds,
                   v_step.max_backoff_seconds, v_step.timeout_seconds, v_step.id, e.ord - 1,
                   v_step.fair_key, v_step.concurrency_key, v_step.concurrency_limit
            from jsonb_array_elements(v_value) with ordinality as e(item, ord)
            -- elements that completed before a retry_task are kept, with their outputs
            where not exists (select from agent_runtime.steps k where k.map_parent_id = v_step.id and k.map_index = e.ord - 1)
            order by e.ord
            returning id, key, agent, map_index
          )
          insert into agent_runtime.events (type, task_id, step_id, data)
          select x.type, v_step.task_id, x.step_id, x.data
          from (select 0 as n, 'step.waiting' as type, v_step.id as step_id,
                       jsonb_build_object('reason', 'map', 'elements', jsonb_array_length(v_value)) as data
                union all
                select 1 + e.map_index, 'step.ready', e.id, jsonb_build_object('agent', e.agent, 'key', e.key)
                from elements e) x
          order by x.n;
          continue;
        end if;
      elsif v_step.wait_for is not null then
        v_value := agent_runtime._resolve_template(v_step.wait_for, v_context);
        if jsonb_typeof(v_value) is distinct from 'string' or v_value #>> '{}' = '' or length(v_value #>> '{}') > 256
           or v_value #>> '{}' ~ '[[:cntrl:]]' then
          v_error := jsonb_build_object('code', 'event_name_invalid',
            'message', format('the wait_for of step %s resolved to %s, not an event name', v_step.key, left(coalesce(v_value::text, 'nothing'), 100)));
        else
          select * into v_task from agent_runtime.tasks t where t.id = v_step.task_id;
          perform agent_runtime._wait_for_event(v_step.id, v_value #>> '{}', v_task.app_name,
                                                case when v_step.timeout_seconds is not null
                                                     then now() + make_interval(secs => v_step.timeout_seconds) end);
          continue;
        end if;
      else
        update agent_runtime.steps s
        set status = 'ready',
            input = agent_runtime._resolve_template(coalesce(s.input_template, '{"$ref": "input"}'::jsonb), v_context),
            run_at = greatest(s.run_at, now()), updated_at = now()
        where s.id = v_step.id;
        insert into agent_runtime.events (type, task_id, step_id, data)
        select 'step.ready', s.task_id, s.id,
               jsonb_build_object('agent', s.agent, 'key', s.key)
               || case when s.run_at > now() then jsonb_build_object('run_at', s.run_at) else '{}' end
        from agent_runtime.steps s where s.id = v_step.id;
        continue;
      end if;

      -- a step that cannot start fails, and its task with it
      perform agent_runtime._finish_step(v_step.id, 'failed', null, v_error);
      perform agent_runtime._stop_tasks(array[v_step.task_id], 'failed', v_error);
    end loop;
    exit when not v_moved;
  end loop;

  perform agent_runtime._settle_tasks(task_ids);
end
$$;
