-- The elements of a batch report (complete_steps, fail_steps) that _check_results refuses, each
-- with the AR error the single callback would raise for it: position in the arrays, code
-- (SQLSTATE), message, and the error its step fails with (_invalid_result). The whole batch is
-- checked in one subtransaction; only when that finds something is each element checked on its
-- own, so that every refused one is found and a valid one never is. Errors other than AR ones
-- propagate.
create or replace function agent_runtime._refused_results(
  step_ids bigint[], kind text, results jsonb[], effects jsonb[])
returns table (ord integer, code text, message text, error jsonb)
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_state text;
  v_message text;
  v_hint text;
begin
  begin
    perform agent_runtime._check_results(step_ids, kind, results, effects);
    return;
  exception when others then
    if left(sqlstate, 2) <> 'AR' then
      raise;
    end if;
  end;
  for i in 1 .. cardinality(step_ids) loop
    begin
      perform agent_runtime._check_results(array[step_ids[i]], kind, array[results[i]],
                                           case when effects is not null then array[effects[i]] end);
    exception when others then
      get stacked diagnostics v_state = returned_sqlstate, v_message = message_text, v_hint = pg_exception_hint;
      if left(v_state, 2) <> 'AR' then
        raise;
      end if;
      ord := i;
      code := v_state;
      message := v_message;
      error := agent_runtime._invalid_result(v_state, v_message, nullif(v_hint, ''));
      return next;
    end;
  end loop;
end
$$;
