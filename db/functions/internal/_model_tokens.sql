-- The model tokens in a queue's bucket now (queue option tokens_per_minute): the level stored at
-- refilled_at (NULL: full) refilled at tokens_per_minute / 60 per second, up to tokens_per_minute.
-- Below zero while the usage recorded after the bucket ran out is being paid back. NULL for a
-- queue without the option. Read by claims (an exhausted queue is skipped) and next_due_at,
-- written by record_usage.
create or replace function agent_runtime._model_tokens(tokens_per_minute integer, model_tokens double precision,
                                                       refilled_at timestamptz)
returns double precision
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
begin
  -- plpgsql, not sql: a SQL function is set up anew in every statement that calls it
  return least(tokens_per_minute::double precision,
               coalesce(model_tokens, tokens_per_minute)
               + tokens_per_minute / 60.0 * extract(epoch from now() - coalesce(refilled_at, now()))::double precision);
end
$$;
