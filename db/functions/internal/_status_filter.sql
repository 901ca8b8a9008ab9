-- The "status" of a task filter (list_tasks, browse_tasks): one status or a non-empty array of
-- them, each a task status; NULL when the filter has none.
create or replace function agent_runtime._status_filter(filters jsonb)
returns text[]
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_statuses text[];
begin
  if jsonb_typeof(filters -> 'status') = 'array' then
    select array_agg(e) into v_statuses from jsonb_array_elements_text(filters -> 'status') as e;
    if v_statuses is null then
      raise exception using errcode = 'AR001',
        message = 'filter "status" must list at least one status',
        hint = 'Omit "status" to list tasks of every status.';
    end if;
  elsif agent_runtime._option_text(filters, 'status') is not null then
    v_statuses := array[agent_runtime._option_text(filters, 'status')];
  end if;
  if v_statuses is not null and not v_statuses <@ agent_runtime._task_statuses() then
    raise exception using errcode = 'AR001',
      message = format('filter "status" has an unknown status: %s', agent_runtime._quote((filters -> 'status')::text)),
      hint = format('Statuses: %s.', array_to_string(agent_runtime._task_statuses(), ', '));
  end if;
  return v_statuses;
end
$$;
