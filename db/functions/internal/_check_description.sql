-- Descriptions of agents and workflows are shown in agent cards, the console and list_targets:
-- free text, bounded.
create or replace function agent_runtime._check_description(value text)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if length(value) > 4000 then
    raise exception using errcode = 'AR001',
      message = format('description has %s characters, over the limit of 4000', length(value)),
      hint = 'Shorten the description.';
  end if;
end
$$;
