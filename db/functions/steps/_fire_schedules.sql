-- Fires the due slots of cron schedules, whoever notices first (claim_step, reap_expired): each
-- due schedule, locked (SKIP LOCKED: another caller is firing it), submits one task per slot for
-- the newest "backfill" slots that passed since its last run (default 1: after downtime, only
-- the latest missed slot runs; 0: none), with the idempotency key "schedule:<name>:<slot>", so a
-- slot runs exactly once however many callers race; then it moves next_fire_at past now.
-- Paused schedules (pause_schedule) are left alone. Returns how many tasks it submitted.
create or replace function agent_runtime._fire_schedules()
returns integer
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_schedule agent_runtime.schedules;
  v_now timestamptz := agent_runtime._now();
  v_slots timestamptz[];
  v_slot timestamptz;
  v_fire timestamptz[];
  v_task uuid;
  v_count integer := 0;
begin
  for v_schedule in
    select * from agent_runtime.schedules c
    where c.next_fire_at <= v_now and not c.paused
    order by c.next_fire_at
    for update skip locked
  loop
    v_slots := '{}';
    v_slot := v_schedule.next_fire_at;
    while v_slot is not null and v_slot <= v_now and cardinality(v_slots) < 100000 loop
      v_slots := v_slots || v_slot;
      v_slot := agent_runtime._cron_next(v_schedule.cron, v_schedule.timezone, v_slot);
    end loop;
    v_fire := v_slots[greatest(1, cardinality(v_slots) - v_schedule.backfill + 1):cardinality(v_slots)];
    if v_schedule.backfill = 0 then
      v_fire := '{}';
    end if;
    v_task := null;
    foreach v_slot in array v_fire loop
      select s.task_id into v_task
      from agent_runtime._submit_tasks(
        array[v_schedule.target], array[v_schedule.input], null,
        array[v_schedule.options || jsonb_build_object(
          'app_name', v_schedule.app_name,
          'idempotency_key', format('schedule:%s:%s', v_schedule.name,
                                    to_char(v_slot at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')))]) as s;
      v_count := v_count + 1;
    end loop;
    update agent_runtime.schedules c
    set next_fire_at = coalesce(agent_runtime._cron_next(c.cron, c.timezone, v_now), 'infinity'),
        last_fire_at = coalesce(v_fire[cardinality(v_fire)], c.last_fire_at),
        last_task_id = coalesce(v_task, c.last_task_id),
        updated_at = now()
    where c.app_name = v_schedule.app_name and c.name = v_schedule.name;
    insert into agent_runtime.events (type, task_id, data)
    values ('schedule.fired', v_task, jsonb_build_object('schedule', v_schedule.name, 'scope', v_schedule.app_name,
            'slots_due', cardinality(v_slots), 'slots_run', cardinality(v_fire)));
  end loop;
  return v_count;
end
$$;
