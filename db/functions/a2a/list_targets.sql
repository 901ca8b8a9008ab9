-- What a task can target (submit_task's target): every registered agent and the newest version of
-- every workflow, by name, or only the one named target. The A2A endpoint builds its agent cards
-- from it (one skill per target). The catalog is shared by all tenants, as submit_task accepts any
-- registered target from any of them, so no tenant rule applies.
create or replace function agent_runtime.list_targets(target text default null)
returns table (name text, kind text, description text, input_schema jsonb, updated_at timestamptz)
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select t.name, t.kind, t.description, t.input_schema, t.updated_at
  from (
    select g.name, 'agent' as kind, g.description, g.input_schema, g.updated_at
    from agent_runtime.agents g
    union all
    select w.name, 'workflow', w.description, coalesce(w.definition -> 'input_schema', '{}'::jsonb), w.created_at
    from agent_runtime.workflows w
    where w.version = (select max(n.version) from agent_runtime.workflows n where n.name = w.name)
  ) t
  where list_targets.target is null or t.name = list_targets.target
  order by t.name
$$;
