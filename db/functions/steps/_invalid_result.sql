-- The error a step fails with for good when the runtime refuses what its worker reported (an
-- output, effects or error that complete_steps or fail_steps refuse): the AR error of the refusal
-- as {"code": "invalid_result", "sqlstate", "message", "hint"}.
create or replace function agent_runtime._invalid_result(code text, message text, hint text)
returns jsonb
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
  select jsonb_build_object('code', 'invalid_result', 'sqlstate', code, 'message', message, 'hint', hint)
$$;
