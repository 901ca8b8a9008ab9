-- Refuses a JSON argument nested deeper than the runtime's limit of 64 levels (see
-- _first_too_deep): every function checks each of its jsonb and jsonb[] arguments with it (or,
-- for a batch, with _first_too_deep and then this for the element it found) before anything
-- else, so a value no reader could read back is never stored.
create or replace function agent_runtime._check_json(value jsonb, what text)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if agent_runtime._first_too_deep(array[value]) is not null then
    raise exception using errcode = 'AR001',
      message = format('%s is nested deeper than the limit of 64 levels', what),
      hint = 'Flatten the value: at most 64 arrays and objects within one another (an empty [] or {} is one level).';
  end if;
end
$$;
